package io.qfence.daemon.git;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import org.eclipse.jgit.errors.NotSupportedException;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.BasePackFetchConnection;
import org.eclipse.jgit.transport.FetchConnection;
import org.eclipse.jgit.transport.PackTransport;
import org.eclipse.jgit.transport.PushConnection;
import org.eclipse.jgit.transport.TcpTransport;
import org.eclipse.jgit.transport.URIish;

/**
 * The {@code git://} protocol (fetch only) with timeouts that hold. JGit's own git:// transport bounds reads by
 * interrupting the reading thread, and on JDK 17 an interrupt does not wake a thread blocked on a socket: a daemon
 * that accepts and then says nothing hangs the fetch forever (seen in GitTransportsTest). Here the socket itself has
 * a read timeout ({@code SO_TIMEOUT}), and every read also checks the fetch's overall deadline, so a remote that
 * trickles bytes is cut off too. Protocol version 0; the rest (negotiation, pack parsing) is JGit's.
 */
final class GitDaemonTransport extends TcpTransport implements PackTransport {

    private static final int GIT_PORT = 9418;

    private final int timeoutMillis;
    private final DeadlineMonitor deadline;

    GitDaemonTransport(Repository local, URIish uri, int timeoutMillis, DeadlineMonitor deadline) {
        super(local, uri);
        this.timeoutMillis = timeoutMillis;
        this.deadline = deadline;
    }

    @Override
    public FetchConnection openFetch() throws TransportException {
        return new Connection();
    }

    @Override
    public PushConnection openPush() throws NotSupportedException {
        throw new NotSupportedException("qfence never pushes");
    }

    @Override
    public void close() {
        // each connection owns its socket and closes it
    }

    private Socket connect() throws TransportException {
        int port = uri.getPort() > 0 ? uri.getPort() : GIT_PORT;
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(InetAddress.getByName(uri.getHost()), port), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.setKeepAlive(true);
            return socket;
        } catch (IOException e) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // the connect failure is the one to report
            }
            throw new TransportException(uri, e instanceof UnknownHostException ? "unknown host" : e.getMessage(), e);
        }
    }

    private final class Connection extends BasePackFetchConnection {
        private final Socket socket;

        Connection() throws TransportException {
            super(GitDaemonTransport.this);
            socket = connect();
            try {
                InputStream in = new DeadlineInputStream(new BufferedInputStream(socket.getInputStream()));
                OutputStream out = new BufferedOutputStream(socket.getOutputStream());
                init(in, out);
                String host = uri.getHost() + (uri.getPort() > 0 && uri.getPort() != GIT_PORT ? ":" + uri.getPort() : "");
                pckOut.writeString("git-upload-pack " + uri.getPath() + "\0host=" + host + "\0");
                pckOut.flush();
                readAdvertisedRefs();
            } catch (IOException e) {
                close();
                throw e instanceof TransportException te ? te
                        : new TransportException(uri, "the remote hung up: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            super.close();
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing left to do with a socket that will not close
            }
        }
    }

    /** Fails every read once the fetch's overall deadline has passed. */
    private final class DeadlineInputStream extends FilterInputStream {
        DeadlineInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            checkDeadline();
            return super.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            checkDeadline();
            return super.read(b, off, len);
        }

        private void checkDeadline() throws InterruptedIOException {
            if (deadline.overrun()) {
                throw new InterruptedIOException("the fetch's time is up");
            }
        }
    }
}
