package io.qfence.host;

import java.nio.file.Path;

/** Makes {@link Sandbox}es; the composition root provides the real one. */
@FunctionalInterface
public interface SandboxFactory {

    /**
     * Creates a sandbox named {@code PREFIX-<random>}.
     *
     * @param prefix      e.g. {@code qfence-verify}
     * @param probeImages a directory holding {@code kernels/vmlinuz} and {@code initrds/probe.img}
     *                    ({@code bin/build-probe-image}); copied into the sandbox's images root
     * @throws io.qfence.model.errors.UsageException    when a probe image is missing
     * @throws io.qfence.model.errors.HostPortException when the sandbox cannot be set up
     */
    Sandbox create(String prefix, Path probeImages, Progress progress);
}
