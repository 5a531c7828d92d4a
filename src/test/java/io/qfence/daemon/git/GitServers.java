package io.qfence.daemon.git;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.qfence.testing.TestNetns;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.shell.UnknownCommand;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Real Git servers for transport tests, each listening on 127.0.0.1 inside a test's own network namespace:
 * {@code git daemon}; an SSH server (Apache MINA sshd) that runs the real {@code git-upload-pack}; and HTTPS in
 * front of the real {@code git http-backend} (the JDK's HTTPS server speaking CGI to it), with Basic authentication
 * by token.
 */
final class GitServers {

    private GitServers() {}

    /** {@code git daemon --export-all} on {@code 127.0.0.1:port} in the namespace, serving {@code basePath}. */
    static final class GitDaemon implements AutoCloseable {
        private final Process process;

        GitDaemon(TestNetns netns, Path basePath, int port) {
            ProcessBuilder pb = new ProcessBuilder(netns.exec("git", "daemon", "--listen=127.0.0.1",
                    "--port=" + port, "--base-path=" + basePath, "--export-all", "--reuseaddr", "--verbose",
                    basePath.toString()));
            pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
            pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            // git daemon says when it listens; waiting for that line is an event, not a poll
            CountDownLatch ready = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = err.readLine()) != null; ) {
                        if (line.contains("Ready to rumble")) {
                            ready.countDown();
                        }
                    }
                } catch (IOException ignored) {
                    // the daemon was stopped
                }
            }, "git-daemon-stderr");
            reader.setDaemon(true);
            reader.start();
            try {
                if (!ready.await(20, TimeUnit.SECONDS)) {
                    close();
                    throw new AssertionError("git daemon did not report readiness");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new AssertionError("interrupted", e);
            }
        }

        /** Stops the daemon by its pid (ip netns exec execs it, so the process is git daemon itself). */
        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** An SSH server that accepts one client key and runs {@code git-upload-pack} for repositories under a root. */
    static final class SshGitServer implements AutoCloseable {
        private static final Pattern UPLOAD_PACK = Pattern.compile("git-upload-pack '([^']+)'");

        private final SshServer server;
        private final KeyPair hostKey;
        private final int port;

        SshGitServer(TestNetns netns, Path root, PublicKey clientKey) {
            try {
                hostKey = KeyUtils.generateKeyPair("ecdsa-sha2-nistp256", 256);
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            server = SshServer.setUpDefaultServer();
            server.setHost("127.0.0.1");
            server.setPort(0);
            server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
            server.setPublickeyAuthenticator((user, key, session) ->
                    "git".equals(user) && KeyUtils.compareKeys(key, clientKey));
            server.setPasswordAuthenticator(null);
            server.setKeyboardInteractiveAuthenticator(null);
            server.setCommandFactory((channel, command) -> {
                Matcher m = UPLOAD_PACK.matcher(command);
                if (!m.matches() || !Path.of(m.group(1)).normalize().startsWith(root)) {
                    return new UnknownCommand(command);
                }
                return new UploadPackCommand(Path.of(m.group(1)));
            });
            // the listening socket is created by this call, on a thread inside the namespace
            try {
                port = netns.call(() -> {
                    server.start();
                    return server.getPort();
                });
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the SSH server", e);
            }
        }

        int port() {
            return port;
        }

        PublicKey hostKey() {
            return hostKey.getPublic();
        }

        @Override
        public void close() {
            try {
                server.stop(true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Runs the real {@code git-upload-pack} for one repository and connects it to the SSH channel. */
    private static final class UploadPackCommand implements Command {
        private final Path repository;
        private InputStream in;
        private OutputStream out;
        private OutputStream err;
        private ExitCallback exit;
        private Process process;

        UploadPackCommand(Path repository) {
            this.repository = repository;
        }

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            this.err = err;
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) throws IOException {
            ProcessBuilder pb = new ProcessBuilder("git-upload-pack", "--strict", repository.toString());
            pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
            pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
            process = pb.start();
            Thread toProcess = pump("ssh-to-upload-pack", in, process.getOutputStream(), true);
            Thread fromProcess = pump("upload-pack-to-ssh", process.getInputStream(), out, false);
            Thread errors = pump("upload-pack-stderr", process.getErrorStream(), err, false);
            Thread waiter = new Thread(() -> {
                try {
                    int code = process.waitFor();
                    fromProcess.join();
                    errors.join();
                    toProcess.interrupt();
                    exit.onExit(code);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "upload-pack-exit");
            waiter.setDaemon(true);
            waiter.start();
        }

        @Override
        public void destroy(ChannelSession channel) {
            if (process != null) {
                process.destroy();
            }
        }

        private static Thread pump(String name, InputStream from, OutputStream to, boolean closeWhenDone) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[8192];
                try {
                    for (int n; (n = from.read(buffer)) != -1; ) {
                        to.write(buffer, 0, n);
                        to.flush();
                    }
                } catch (IOException ignored) {
                    // the other side went away; the exit code tells the story
                } finally {
                    if (closeWhenDone) {
                        try {
                            to.close();
                        } catch (IOException ignored) {
                            // already closed
                        }
                    }
                }
            }, name);
            t.setDaemon(true);
            t.start();
            return t;
        }
    }

    /**
     * HTTPS on 127.0.0.1 in front of {@code git http-backend}, requiring Basic authentication with {@code user} and
     * the current token. The certificate is self-signed for 127.0.0.1; {@link #clientContext()} trusts exactly it.
     */
    static final class HttpsGitServer implements AutoCloseable {
        private final HttpsServer server;
        private final SSLContext clientContext;
        private final AtomicReference<String> expectedAuthorization = new AtomicReference<>();
        final AtomicInteger authorizedRequests = new AtomicInteger();
        final AtomicInteger refusedRequests = new AtomicInteger();

        HttpsGitServer(TestNetns netns, Path projectRoot, String user, String token) {
            expectToken(user, token);
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
                generator.initialize(256);
                KeyPair keys = generator.generateKeyPair();
                X500Name name = new X500Name("CN=127.0.0.1");
                Instant now = Instant.now();
                JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(now.toEpochMilli()),
                        Date.from(now.minusSeconds(3600)), Date.from(now.plusSeconds(86_400)), name, keys.getPublic());
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
                X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
                char[] password = "test".toCharArray();
                KeyStore serverStore = KeyStore.getInstance("PKCS12");
                serverStore.load(null, null);
                serverStore.setKeyEntry("server", keys.getPrivate(), password, new X509Certificate[] {certificate});
                KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(serverStore, password);
                SSLContext serverContext = SSLContext.getInstance("TLS");
                serverContext.init(kmf.getKeyManagers(), null, null);

                KeyStore trustStore = KeyStore.getInstance("PKCS12");
                trustStore.load(null, null);
                trustStore.setCertificateEntry("server", certificate);
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(trustStore);
                clientContext = SSLContext.getInstance("TLS");
                clientContext.init(null, tmf.getTrustManagers(), null);

                server = netns.call(() -> HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0));
                server.setHttpsConfigurator(new HttpsConfigurator(serverContext));
            } catch (Exception e) {
                throw new IllegalStateException("cannot set up the HTTPS git server", e);
            }
            server.createContext("/", exchange -> {
                try (exchange) {
                    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
                    if (!expectedAuthorization.get().equals(authorization)) {
                        refusedRequests.incrementAndGet();
                        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
                        exchange.sendResponseHeaders(401, -1);
                        return;
                    }
                    authorizedRequests.incrementAndGet();
                    runBackend(exchange, projectRoot, user);
                }
            });
            server.start();
        }

        void expectToken(String user, String token) {
            expectedAuthorization.set("Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + token).getBytes(StandardCharsets.UTF_8)));
        }

        int port() {
            return server.getAddress().getPort();
        }

        SSLContext clientContext() {
            return clientContext;
        }

        @Override
        public void close() {
            server.stop(0);
        }

        /** CGI: the request becomes environment and stdin, the script's headers and body become the response. */
        private static void runBackend(HttpExchange exchange, Path projectRoot, String user) throws IOException {
            ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
            Map<String, String> env = pb.environment();
            env.put("GIT_PROJECT_ROOT", projectRoot.toString());
            env.put("GIT_HTTP_EXPORT_ALL", "1");
            env.put("GIT_CONFIG_NOSYSTEM", "1");
            env.put("GIT_CONFIG_GLOBAL", "/dev/null");
            env.put("REQUEST_METHOD", exchange.getRequestMethod());
            env.put("PATH_INFO", exchange.getRequestURI().getRawPath());
            env.put("QUERY_STRING", exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery());
            env.put("REMOTE_USER", user);
            env.put("REMOTE_ADDR", "127.0.0.1");
            String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
            if (contentType != null) {
                env.put("CONTENT_TYPE", contentType);
            }
            String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
            if (encoding != null) {
                env.put("HTTP_CONTENT_ENCODING", encoding);
            }
            String protocol = exchange.getRequestHeaders().getFirst("Git-Protocol");
            if (protocol != null) {
                env.put("GIT_PROTOCOL", protocol);
            }
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            Process process = pb.start();
            try (OutputStream stdin = process.getOutputStream(); InputStream body = exchange.getRequestBody()) {
                body.transferTo(stdin);
            }
            InputStream stdout = process.getInputStream();
            int status = 200;
            for (String line; !(line = readHeaderLine(stdout)).isEmpty(); ) {
                int colon = line.indexOf(':');
                String name = line.substring(0, colon).strip();
                String value = line.substring(colon + 1).strip();
                if (name.equalsIgnoreCase("Status")) {
                    status = Integer.parseInt(value.substring(0, 3));
                } else {
                    exchange.getResponseHeaders().add(name, value);
                }
            }
            exchange.sendResponseHeaders(status, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                stdout.transferTo(out);
            }
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static String readHeaderLine(InputStream in) throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) != -1 && b != '\n'; ) {
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.US_ASCII);
        }
    }
}
