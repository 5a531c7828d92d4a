package io.qfence.model.desired;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may log in to a group's cloud-init guests (DESIGN.md §17): accounts and their SSH public keys, from Git.
 * A VM gets the users whose {@code vms} is absent or names it; the group's bastion gets every user (it is the jump
 * host).
 */
public record GroupAccess(List<User> users) {

    public static final GroupAccess NONE = new GroupAccess(List.of());

    public GroupAccess {
        users = List.copyOf(users);
        Set<String> names = new HashSet<>();
        for (User u : users) {
            if (!names.add(u.name())) {
                throw new IllegalArgumentException("access user '" + u.name() + "' is listed twice");
            }
        }
    }

    /** The users who get an account on {@code vm}; on the bastion, every user. */
    public List<User> usersOf(String vm, boolean bastion) {
        return users.stream().filter(u -> bastion || u.vms().map(v -> v.contains(vm)).orElse(true)).toList();
    }

    /**
     * One login.
     *
     * @param vms the VMs of the group this user gets an account on; empty: all of them
     */
    public record User(String name, List<SshPublicKey> sshKeys, Optional<List<String>> vms) {

        /** A portable POSIX login name as Debian's adduser accepts it by default, without the trailing '$'. */
        static final Pattern LOGIN = Pattern.compile("[a-z_][a-z0-9_-]{0,31}");
        /** Names that already belong to the system or would change what a login means. */
        public static final Set<String> RESERVED = Set.of("root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail",
                "news", "uucp", "proxy", "www-data", "backup", "list", "irc", "nobody", "systemd-network",
                "systemd-resolve", "systemd-timesync", "messagebus", "sshd", "_apt");

        public User {
            Objects.requireNonNull(name, "name");
            if (!LOGIN.matcher(name).matches()) {
                throw new IllegalArgumentException("user name '" + name + "' must match [a-z_][a-z0-9_-]{0,31}");
            }
            if (RESERVED.contains(name)) {
                throw new IllegalArgumentException("user name '" + name + "' is a system account");
            }
            sshKeys = List.copyOf(sshKeys);
            if (sshKeys.isEmpty()) {
                throw new IllegalArgumentException("user " + name + " needs at least one SSH key (password login is disabled)");
            }
            vms = vms.map(List::copyOf);
            vms.ifPresent(v -> v.forEach(n -> Names.requireDnsLabel("vm", n)));
        }
    }
}
