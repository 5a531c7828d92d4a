package io.qfence.daemon.git;

import java.util.Objects;

/** An author or committer as Git records it. Printed the way Git prints it: {@code Name <email>}. */
public record Person(String name, String email) {

    public Person {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(email, "email");
    }

    @Override
    public String toString() {
        return name + " <" + email + ">";
    }
}
