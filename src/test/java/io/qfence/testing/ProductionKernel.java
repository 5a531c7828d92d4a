package io.qfence.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test of what only a production kernel has (cgroup v2 with controllers, AppArmor enforcing, 802.1Q, systemd
 * as PID 1). Surefire leaves these out on the test machines, which have none of it; {@code bin/lab test} runs them
 * inside the lab VM on Debian's stock kernel (DESIGN.md, "The production-kernel lab"). Each such test asserts the
 * kernel feature it needs first, so that it fails (never skips) where the feature is missing.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(ProductionKernel.TAG)
public @interface ProductionKernel {

    String TAG = "production-kernel";
}
