package io.qfence.engine;

import io.qfence.host.GuestPort;
import io.qfence.model.host.Guest;
import io.qfence.plan.Action;
import io.qfence.plan.Change;
import io.qfence.plan.Plan;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What can be known before anything on the live host is changed, checked when a live plan is made: a plan that needs
 * a state directory qfence cannot create, or would start a guest whose QEMU binary or images are missing
 * ({@link GuestPort#preflight}), gets errors. So the plan shows them, and an apply stops before its first change
 * (rather than after the firewall, cgroups and links are in place, which is what a new user found). Kernel
 * capabilities are host facts, checked by realization.
 */
final class Preflight {

    private Preflight() {}

    static Plan check(Plan plan, Path stateDir, GuestPort guests) {
        List<String> problems = new ArrayList<>();
        if (!plan.isEmpty()) {
            Path existing = stateDir;
            while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing == null || !Files.isDirectory(existing)) {
                problems.add("stateDir " + stateDir + " cannot be created: " + existing + " is not a directory");
            }
        }
        List<Guest> starting = plan.changes().stream().filter(Preflight::startsAGuest)
                .map(c -> (Guest) c.after().orElseThrow()).toList();
        problems.addAll(guests.preflight(starting));
        if (problems.isEmpty()) {
            return plan;
        }
        List<String> errors = new ArrayList<>(plan.errors());
        errors.addAll(problems);
        return new Plan(plan.host(), plan.changes(), plan.warnings(), errors, plan.observedDigest(), plan.desiredDigest());
    }

    private static boolean startsAGuest(Change c) {
        return c.after().orElse(null) instanceof Guest && c.action() != Action.STOP && c.action() != Action.DELETE
                && c.action() != Action.UPDATE;
    }
}
