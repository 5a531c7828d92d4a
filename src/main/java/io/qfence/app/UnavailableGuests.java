package io.qfence.app;

import io.qfence.host.GuestPort;
import io.qfence.host.Progress;
import io.qfence.model.errors.UsageException;
import io.qfence.model.host.Guest;
import java.util.List;

/**
 * The guest port of a build without the guest lifecycle: it observes no guests, and refuses to start or stop one with
 * a clear message. Plans and applies limited to network, firewall and cgroups ({@code --no-guests}) never call it to
 * change anything.
 */
final class UnavailableGuests implements GuestPort {

    static final String MESSAGE = "guest lifecycle not available in this build; use --no-guests (or --scope network,firewall,cgroups)";

    @Override
    public List<Guest> observe(List<Guest> realized) {
        return List.of();
    }

    @Override
    public void start(Guest guest, Progress progress) {
        throw new UsageException(MESSAGE);
    }

    @Override
    public void stop(Guest guest, Progress progress) {
        throw new UsageException(MESSAGE);
    }
}
