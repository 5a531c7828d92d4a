package io.qfence.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a real-kernel test that detects the cgroup layout ({@link CgroupHost}) and asserts what that layout should
 * hold, so that it runs on both kinds of host: here (cgroup v1) under Surefire like any {@link RequiresHost} test, and
 * in the production-kernel lab (cgroup v2), whose runner takes this tag besides {@link ProductionKernel}'s
 * ({@code io.qfence.lab.LabTestRunner}). Unlike {@link ProductionKernel}, this tag is not left out of Surefire.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(BothCgroupLayouts.TAG)
public @interface BothCgroupLayouts {

    String TAG = "both-cgroup-layouts";
}
