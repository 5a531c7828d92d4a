#!/usr/bin/perl
# qfence's probe agent, /bin/qf-agent inside the probe guest (bin/build-probe-image puts it there with perl-base).
#
# Why not busybox's nc: under TCG every fork and exec costs tens of milliseconds of guest CPU, a listener run by nc
# serves one peer at a time, and a UDP listener of netcat-traditional connects to its first sender. With a dozen
# probes per guest in flight, answers came too late for their timeouts and a reached cell looked denied. This agent
# serves every port and every peer from one process, and runs all of a batch's probes from one process, so a probe
# costs a socket, not a process.
#
#   qf-agent listen NAME TCP_PORTS UDP_PORTS REQUESTS RESULTS
#       binds every port (comma-separated lists, possibly empty), then detaches and serves forever: a TCP peer gets
#       "QF-TCP-OK NAME\n" and the connection is closed; each UDP datagram gets "QF-UDP-OK NAME\n" back. It exits
#       non-zero before detaching when a port cannot be bound, so the init reports ready only with every listener up.
#       It also reads probe requests, one line "SECONDS PROBE ..." at a time, from the FIFO REQUESTS, and answers
#       each from a forked child (as "probe" below) into the FIFO RESULTS: under TCG, compiling this script takes
#       about 0.7 s of guest CPU, and a fork of the loaded agent a small part of that.
#       (/bin/qf-probe SECONDS PROBE ... is the console's side: it writes the request and reads the results.)
#
#   qf-agent check
#       exits 0: the build's proof that the image holds every module the agent loads.
#
#   qf-agent probe SECONDS ID,t|u|i,ADDRESS[,PORT] ...
#       starts every probe at once and waits up to SECONDS for all of them, then prints one line per probe, in order:
#       "QF-P ID RC ANSWER". RC is 0 when the peer answered (a QF-...-OK line, or an echo reply), 1 otherwise; ANSWER
#       is the first line received, "bytes from ADDRESS" for a ping, or why there is none ("no answer",
#       "Connection refused", ...). TCP: one connect. UDP: a datagram every 250 ms until the answer. ICMP: an echo
#       request every 250 ms on a ping socket (the init opens net.ipv4.ping_group_range).
#
# Everything the peers send is untrusted: answers are cut at the first line and at 200 bytes, and only the printable
# ASCII of them is printed.
use strict;
use warnings;
use Socket qw(PF_INET SOCK_STREAM SOCK_DGRAM SOL_SOCKET SO_REUSEADDR SO_ERROR IPPROTO_ICMP INADDR_ANY
              inet_aton inet_ntoa pack_sockaddr_in unpack_sockaddr_in);
use Errno qw(EINPROGRESS EAGAIN EWOULDBLOCK EINTR);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);

my $RESEND = 0.25;

# Seconds since boot, to 10 ms: Time::HiRes is not in perl-base, and the kernel's clock is all a guest needs.
sub now {
    open(my $f, '<', '/proc/uptime') or die "/proc/uptime: $!\n";
    my ($up) = split ' ', scalar <$f>;
    return $up;
}

sub nonblocking {
    my ($s) = @_;
    my $flags = fcntl($s, F_GETFL, 0) or die "fcntl: $!\n";
    fcntl($s, F_SETFL, $flags | O_NONBLOCK) or die "fcntl: $!\n";
}

sub ports {
    my ($list) = @_;
    return () unless defined $list && $list ne '';
    my @ports = split /,/, $list;
    for (@ports) { die "bad port '$_'\n" unless /^\d{1,5}$/ && $_ >= 1 && $_ <= 65535 }
    return @ports;
}

sub listen_forever {
    my ($name, $tcp, $udp, $requests, $results) = @_;
    die "usage: qf-agent listen NAME TCP_PORTS UDP_PORTS REQUESTS RESULTS\n" unless defined $results;
    my $suffix = (defined $name && $name ne '') ? " $name" : '';
    my (%tcp, %udp);
    for my $port (ports($tcp)) {
        socket(my $s, PF_INET, SOCK_STREAM, 0) or die "tcp socket: $!\n";
        setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1) or die "SO_REUSEADDR: $!\n";
        bind($s, pack_sockaddr_in($port, INADDR_ANY)) or die "bind tcp $port: $!\n";
        listen($s, 1024) or die "listen tcp $port: $!\n";
        nonblocking($s);
        $tcp{fileno $s} = $s;
    }
    for my $port (ports($udp)) {
        socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "udp socket: $!\n";
        bind($s, pack_sockaddr_in($port, INADDR_ANY)) or die "bind udp $port: $!\n";
        nonblocking($s);
        $udp{fileno $s} = $s;
    }
    # read-write, so that the FIFO never reads as closed between two writers
    open(my $request_fifo, '+<', $requests) or die "$requests: $!\n";
    nonblocking($request_fifo);
    my $pending = '';
    my $pid = fork();
    die "fork: $!\n" unless defined $pid;
    exit 0 if $pid;
    $SIG{CHLD} = 'IGNORE'; # children are reaped by the kernel
    # detached: hold no one's terminal or pipe open (the caller may wait for its output to end)
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>', '/dev/null');
    open(STDERR, '>', '/dev/null');

    my $tcp_banner = "QF-TCP-OK$suffix\n";
    my $udp_banner = "QF-UDP-OK$suffix\n";
    my $all = '';
    vec($all, $_, 1) = 1 for keys %tcp, keys %udp, fileno($request_fifo);
    while (1) {
        my $ready = select(my $rout = $all, undef, undef, undef);
        next if $ready <= 0; # EINTR: a child ended
        if (vec($rout, fileno($request_fifo), 1)) {
            my $n = sysread($request_fifo, my $chunk, 65536);
            $pending .= $chunk if $n;
            while ($pending =~ s/^([^\n]*)\n//) {
                my @request = split ' ', $1;
                my $child = fork();
                next unless defined $child; # the console's reader times out and says so
                next if $child;
                close($_) for values %tcp, values %udp;
                close($request_fifo);
                open(STDOUT, '>', $results) or exit 1;
                probe_all(@request);
                exit 0;
            }
        }
        for my $fd (keys %tcp) {
            next unless vec($rout, $fd, 1);
            while (accept(my $peer, $tcp{$fd})) {
                # a fresh socket's send buffer is empty: the banner never blocks
                syswrite($peer, $tcp_banner);
                close($peer);
            }
        }
        for my $fd (keys %udp) {
            next unless vec($rout, $fd, 1);
            while (defined(my $from = recv($udp{$fd}, my $datagram, 512, 0))) {
                last if $from eq '';
                send($udp{$fd}, $udp_banner, 0, $from);
            }
        }
    }
}

sub clean {
    my ($text) = @_;
    $text = '' unless defined $text;
    $text =~ s/[\r\n].*//s;
    $text =~ s/[^\x20-\x7e]/?/g;
    $text = substr($text, 0, 200);
    $text =~ s/\s+$//;
    return $text;
}

sub finish {
    my ($p, $rc, $answer) = @_;
    return if $p->{done};
    $p->{done} = 1;
    $p->{rc} = $rc;
    $p->{answer} = clean($answer);
    close($p->{sock}) if $p->{sock};
    delete $p->{sock};
}

sub probe_all {
    my ($seconds, @specs) = @_;
    die "bad timeout '$seconds'\n" unless defined $seconds && $seconds =~ /^\d+(\.\d+)?$/;
    my $deadline = now() + $seconds;
    my @probes;
    for my $spec (@specs) {
        my ($id, $proto, $address, $port) = split /,/, $spec;
        my $p = { id => $id, proto => $proto, address => $address, done => 0 };
        push @probes, $p;
        my $ip = (defined $address) ? inet_aton($address) : undef;
        if (!defined $id || $id !~ /^[A-Za-z0-9_.-]+$/ || !defined $proto || !defined $ip) {
            $p->{id} = 'bad' unless defined $id && $id =~ /^[A-Za-z0-9_.-]+$/;
            finish($p, 1, "bad probe '$spec'");
            next;
        }
        if ($proto eq 't' || $proto eq 'u') {
            if (!defined $port || $port !~ /^\d{1,5}$/) { finish($p, 1, "bad probe '$spec'"); next }
            my $s;
            if (!socket($s, PF_INET, $proto eq 't' ? SOCK_STREAM : SOCK_DGRAM, 0)) { finish($p, 1, "socket: $!"); next }
            nonblocking($s);
            $p->{sock} = $s;
            if (!connect($s, pack_sockaddr_in($port, $ip)) && $! != EINPROGRESS) { finish($p, 1, "$!"); next }
            if ($proto eq 't') { $p->{state} = 'connecting' } else { $p->{state} = 'waiting'; $p->{next} = 0 }
        } elsif ($proto eq 'i') {
            my $s;
            if (!socket($s, PF_INET, SOCK_DGRAM, IPPROTO_ICMP)) { finish($p, 1, "ping socket: $!"); next }
            nonblocking($s);
            $p->{sock} = $s;
            if (!connect($s, pack_sockaddr_in(0, $ip))) { finish($p, 1, "$!"); next }
            $p->{state} = 'waiting';
            $p->{next} = 0;
            $p->{seq} = 0;
        } else {
            finish($p, 1, "unknown protocol '$proto'");
        }
    }

    while (1) {
        my $now = now();
        my @open = grep { !$_->{done} } @probes;
        last unless @open && $now < $deadline;
        my $wake = $deadline;
        my ($rin, $win) = ('', '');
        for my $p (@open) {
            my $fd = fileno($p->{sock});
            if ($p->{state} eq 'connecting') {
                vec($win, $fd, 1) = 1;
                next;
            }
            vec($rin, $fd, 1) = 1;
            next unless exists $p->{next};
            if ($p->{next} <= $now) {
                # the kernel fills in the identifier and checksum of a ping socket's echo request
                my $payload = $p->{proto} eq 'u' ? "qf\n" : pack('CCnnn', 8, 0, 0, 0, ++$p->{seq}) . 'qfence-probe';
                send($p->{sock}, $payload, 0);
                $p->{next} = $now + $RESEND;
            }
            $wake = $p->{next} if $p->{next} < $wake;
        }
        my $wait = $wake - now();
        $wait = 0 if $wait < 0;
        my $ready = select(my $rout = $rin, my $wout = $win, undef, $wait);
        if ($ready < 0) {
            next if $! == EINTR;
            die "select: $!\n";
        }
        next if $ready == 0;
        for my $p (@open) {
            next if $p->{done};
            my $fd = fileno($p->{sock});
            if ($p->{state} eq 'connecting') {
                next unless vec($wout, $fd, 1);
                my $error = unpack('i', getsockopt($p->{sock}, SOL_SOCKET, SO_ERROR));
                if ($error) { $! = $error; finish($p, 1, "$!"); next }
                $p->{state} = 'reading';
                $p->{buffer} = '';
                next;
            }
            next unless vec($rout, $fd, 1);
            if ($p->{state} eq 'reading') {
                my $n = sysread($p->{sock}, my $chunk, 512);
                if (!defined $n) {
                    next if $! == EAGAIN || $! == EWOULDBLOCK;
                    finish($p, 1, "$!");
                } elsif ($n == 0 || ($p->{buffer} . $chunk) =~ /\n/ || length($p->{buffer}) + $n >= 512) {
                    my $line = clean($p->{buffer} . $chunk);
                    finish($p, $line =~ /^QF-[A-Z]+-OK/ ? 0 : 1, $line eq '' ? 'connected, closed without a banner' : $line);
                } else {
                    $p->{buffer} .= $chunk;
                }
            } elsif ($p->{proto} eq 'u') {
                my $from = recv($p->{sock}, my $datagram, 512, 0);
                if (!defined $from) {
                    next if $! == EAGAIN || $! == EWOULDBLOCK;
                    finish($p, 1, "$!");
                } else {
                    my $line = clean($datagram);
                    finish($p, $line =~ /^QF-[A-Z]+-OK/ ? 0 : 1, $line);
                }
            } else {
                my $from = recv($p->{sock}, my $reply, 512, 0);
                if (!defined $from) {
                    next if $! == EAGAIN || $! == EWOULDBLOCK;
                    finish($p, 1, "$!");
                } elsif (length($reply) >= 8 && unpack('C', $reply) == 0) {
                    finish($p, 0, "bytes from $p->{address}");
                }
            }
        }
    }
    for my $p (@probes) {
        next if $p->{done};
        my $state = $p->{state} // '';
        finish($p, 1, $state eq 'connecting' ? 'no answer (connect timed out)'
                    : $state eq 'reading' ? 'connected, no banner in time' : 'no answer');
    }
    my $out = join('', map { "QF-P $_->{id} $_->{rc} $_->{answer}\n" } @probes);
    syswrite(STDOUT, $out);
}

my $mode = shift @ARGV // '';
if ($mode eq 'listen') {
    listen_forever(@ARGV);
} elsif ($mode eq 'probe') {
    probe_all(@ARGV);
} elsif ($mode eq 'check') {
    # bin/build-probe-image: every module this needs is in the image
    exit 0;
} else {
    die "usage: qf-agent listen NAME TCP_PORTS UDP_PORTS REQUESTS RESULTS | qf-agent probe SECONDS ID,t|u|i,ADDRESS[,PORT] ...\n";
}
