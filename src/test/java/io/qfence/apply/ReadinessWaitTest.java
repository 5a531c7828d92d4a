package io.qfence.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.qfence.host.GuestPort;
import io.qfence.model.host.BootStatus;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestLaunch;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** apply --wait-ready: each guest is reported once when its console says ready; at the timeout the rest are named. */
class ReadinessWaitTest {

    private Instant now = Instant.parse("2026-12-07T18:00:00Z");
    private final List<String> lines = new ArrayList<>();
    private final Map<String, Optional<String>> expectedIds = new HashMap<>();

    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private static Guest guest(String vm, GuestState state, Map<String, String> config) {
        String run = "/run/qfence/" + vm;
        GuestLaunch launch = new GuestLaunch(run, run + "/qmp.sock", run + "/serial.sock", run + "/serial.log", run + "/qemu.pid",
                List.of(), "qfence.slice/web/" + vm, Optional.empty(), Duration.ofSeconds(30));
        return new Guest("group.web/vm." + vm, vm, "web", 200001, 200001, List.of("/usr/bin/qemu-system-x86_64"), "d",
                new TreeMap<>(config), state, launch, GuestRuntime.NONE);
    }

    /** A port whose guests become ready at a given second after the start (never, when absent). */
    private GuestPort consoles(Map<String, Integer> readyAtSecond) {
        Instant start = now;
        return new FakeGuestPort() {
            @Override
            public BootStatus bootStatus(Guest guest, Optional<String> expected) {
                expectedIds.put(guest.vm(), expected);
                Integer at = readyAtSecond.get(guest.vm());
                if (at == null || Duration.between(start, now).getSeconds() < at) {
                    return new BootStatus.Booting();
                }
                return new BootStatus.Finished(Optional.of("i-" + guest.vm()), new BigDecimal(at));
            }
        };
    }

    private ReadinessWait.Waited await(GuestPort port, List<Guest> guests, Duration timeout) throws Exception {
        return ReadinessWait.await(port, guests, timeout, Duration.ofSeconds(1), clock, d -> now = now.plus(d),
                (address, message) -> lines.add(address + ": " + message));
    }

    @Test
    void eachGuestIsReportedOnceWhenReadyAndTheWaitEndsWithTheLast() throws Exception {
        List<Guest> guests = List.of(guest("web-app-1", GuestState.RUNNING, Map.of()), guest("web-bastion", GuestState.RUNNING, Map.of()));

        ReadinessWait.Waited outcome = await(consoles(Map.of("web-bastion", 3, "web-app-1", 5)), guests, Duration.ofMinutes(5));

        assertThat(outcome.allReady()).isTrue();
        assertThat(outcome.waited()).isEqualTo(Duration.ofSeconds(5));
        assertThat(lines).containsExactly(
                "group.web/vm.web-bastion: ready: cloud-init finished 3 s after boot (instance i-web-bastion), seen after 3.0 s",
                "group.web/vm.web-app-1: ready: cloud-init finished 5 s after boot (instance i-web-app-1), seen after 5.0 s");
    }

    @Test
    void atTheTimeoutTheGuestsNotReadyAreNamedWithWhatTheirConsoleShowed() throws Exception {
        List<Guest> guests = List.of(guest("web-app-1", GuestState.RUNNING, Map.of()), guest("web-bastion", GuestState.RUNNING, Map.of()));

        ReadinessWait.Waited outcome = await(consoles(Map.of("web-bastion", 2)), guests, Duration.ofSeconds(10));

        assertThat(outcome.allReady()).isFalse();
        assertThat(outcome.notReady()).containsExactly("web-app-1");
        assertThat(outcome.waited()).isEqualTo(Duration.ofSeconds(10));
        assertThat(lines).last().isEqualTo("group.web/vm.web-app-1: not ready after 10.0 s: booting");
    }

    @Test
    void onlyGuestsThatShouldRunAreWaitedForAndTheSeedsInstanceIdIsExpected() throws Exception {
        Guest seeded = guest("web-app-1", GuestState.RUNNING, Map.of(ReadinessWait.SEED_INSTANCE_ID, "web-app-1-3f2a"));
        List<Guest> running = ReadinessWait.runningGuests(List.of(guest("web-app-2", GuestState.STOPPED, Map.of()), seeded));

        await(consoles(Map.of("web-app-1", 0)), running, Duration.ofSeconds(10));

        assertThat(running).containsExactly(seeded);
        assertThat(expectedIds).containsExactly(Map.entry("web-app-1", Optional.of("web-app-1-3f2a")));
    }

    @Test
    void theExpectedInstanceIdIsTheSeedDrivesSerialWhenTheConfigDoesNotNameIt() {
        Guest seeded = new Guest("group.web/vm.web-app-1", "web-app-1", "web", 200001, 200001,
                List.of("/usr/bin/qemu-system-x86_64", "-device", "virtio-blk-pci,drive=seed0,serial=qf-0123456789abcdef"), "d",
                new TreeMap<>(), GuestState.RUNNING, guest("web-app-1", GuestState.RUNNING, Map.of()).launch(), GuestRuntime.NONE);

        assertThat(ReadinessWait.expectedInstanceId(seeded)).contains("qf-0123456789abcdef");
        assertThat(ReadinessWait.expectedInstanceId(guest("web-app-2", GuestState.RUNNING, Map.of()))).isEmpty();
    }

    /** Only {@link GuestPort#bootStatus} is used by the wait. */
    private abstract static class FakeGuestPort implements GuestPort {
        @Override
        public List<Guest> observe(List<Guest> realized) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Guest> find(Guest realized) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void start(Guest guest, io.qfence.host.Progress progress) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void stop(Guest guest, io.qfence.host.Progress progress) {
            throw new UnsupportedOperationException();
        }
    }
}
