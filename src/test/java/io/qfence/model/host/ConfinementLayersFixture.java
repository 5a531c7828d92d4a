package io.qfence.model.host;

/** A jailed guest's confinement with every layer, for tests of other packages. */
public final class ConfinementLayersFixture {
    private ConfinementLayersFixture() {}

    public static GuestConfinement confined() {
        return ConfinementLayersTest.confined();
    }
}
