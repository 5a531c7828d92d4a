package io.qfence.plan;

import io.qfence.model.host.ForeignObject;
import io.qfence.model.host.Guest;
import io.qfence.model.host.GuestRuntime;
import io.qfence.model.host.GuestState;
import io.qfence.model.host.HostFacts;
import io.qfence.model.host.HostObject;
import io.qfence.model.host.Link;
import io.qfence.model.host.ObservedHost;
import io.qfence.plan.Scenario.Group;
import io.qfence.plan.Scenario.Vm;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Plans built by hand that show every kind of change, for golden files of the renderers. */
public final class RepresentativePlans {

    private RepresentativePlans() {}

    static final Group WEB = Group.of("web", 1, Vm.of("web-01", 2001), Vm.of("web-02", 2002)).exceptions("qfb-old").routed(true);
    static final Group DB = Group.of("db", 2, Vm.of("db-01", 2101), Vm.of("db-02", 2102));

    /**
     * The last apply had {@link #WEB} and {@link #DB}. Since then: on the host, the web bridge's MTU was changed by hand
     * and db-01 crashed; in the desired state, web-01 got more memory, web-03 was added, web's exception moved to
     * another target, web's pids limit grew, db-02 was removed and db-01's tap got a new name.
     */
    public static Plan everyKindOfChange() {
        List<HostObject> applied = Scenario.realize(WEB, DB);
        List<HostObject> desired = Scenario.realize(
                WEB.exceptions("qfb-new").pids(1024).vms(Vm.of("web-01", 2001).memory(96), Vm.of("web-02", 2002), Vm.of("web-03", 2003)),
                DB.vms(Vm.of("db-01", 2101).renamedTap(true)));
        List<HostObject> host = new ArrayList<>();
        for (HostObject o : Scenario.asObserved(applied)) {
            if (o instanceof Link l && l.address().equals("group.web/bridge")) {
                host.add(new Link(l.address(), l.kind(), l.name(), l.master(), l.mac(), 9000, l.up(), l.addresses(), l.ownerUid(), l.ownerGid(),
                        l.vlanId(), l.vlanParent(), l.portFlags()));
            } else if (o instanceof Guest g && g.vm().equals("db-01")) {
                host.add(g.withState(GuestState.CRASHED).withRuntime(new GuestRuntime(OptionalLong.empty(), Optional.empty(),
                        Optional.of("killed by SIGKILL; 1 OOM kill in its cgroup"))));
            } else {
                host.add(o);
            }
        }
        ObservedHost observed = new ObservedHost("hv1", HostFacts.TYPICAL, host,
                List.of(new ForeignObject("link", "qfb-legacy", "no qfence alias")), List.of(), List.of());
        return Planner.plan(desired, observed, PlanOptions.withLastApplied(applied));
    }

    /** The host already matches. */
    public static Plan noChanges() {
        List<HostObject> desired = Scenario.realize(WEB, DB);
        return Planner.plan(desired, new ObservedHost("hv1", HostFacts.TYPICAL, Scenario.asObserved(desired), List.of(), List.of(), List.of()));
    }

    /** A fresh host: everything is created and started. */
    public static Plan emptyHost() {
        return Planner.plan(Scenario.realize(WEB, DB), ObservedHost.empty("hv1", HostFacts.TYPICAL));
    }

    /** Many groups of many VMs on an empty host: thousands of changes. */
    public static Plan huge(int groups, int vmsPerGroup) {
        List<Group> gs = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            List<Vm> vms = new ArrayList<>();
            for (int v = 0; v < vmsPerGroup; v++) {
                vms.add(Vm.of("g" + g + "-vm" + v, 3000 + g * 100L + v));
            }
            gs.add(new Group("g" + g, g + 1, 1500, "qfence", true, List.of(), 512, vms));
        }
        return Planner.plan(Scenario.realize(gs), ObservedHost.empty("hv1", HostFacts.TYPICAL));
    }
}
