package io.qfence.testing;

import io.qfence.model.desired.DesiredState;
import io.qfence.model.desired.HostOverrides;
import io.qfence.model.host.HostFacts;
import io.qfence.realize.Realization;
import io.qfence.realize.Realizer;
import io.qfence.source.DesiredStateLoader;
import io.qfence.source.LoadResult;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** The bundled example ({@code desired-state/}, host hv1), loaded on a fixed day, for tests of the live-host layers. */
public final class BundledState {

    public static final Path DIR = Path.of("desired-state");
    public static final String HOST = "hv1";
    public static final Clock CLOCK = Clock.fixed(Instant.parse("2026-06-01T12:00:00Z"), ZoneOffset.UTC);
    public static final LocalDate TODAY = LocalDate.ofInstant(CLOCK.instant(), ZoneOffset.UTC);

    private BundledState() {}

    public static DesiredState state() {
        LoadResult loaded = DesiredStateLoader.loadDirectory(DIR, CLOCK);
        if (!loaded.ok()) {
            throw new AssertionError("the bundled desired state does not load: " + loaded.diagnostics());
        }
        return loaded.state().orElseThrow();
    }

    public static Realization realize(HostFacts facts, HostOverrides overrides) {
        return Realizer.realize(overrides.applyTo(state()), HOST, facts, TODAY);
    }
}
