package io.qfence.platform.cgroup;

import io.qfence.platform.os.KernelFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The few filesystem operations cgroups need, each one system call whose failure is an
 * {@link io.qfence.platform.os.OsException} with the errno. Production uses {@link #KERNEL}; the v2 tests use an
 * emulation of cgroup2's rules, because this kernel has no controllers on cgroup2.
 */
interface CgroupTree {

    boolean isDirectory(Path dir);

    boolean isFile(Path file);

    /** Child directories (child cgroups), sorted by name. */
    List<Path> children(Path dir);

    void mkdir(Path dir);

    void rmdir(Path dir);

    String read(Path file);

    /** One write(2) to an existing file; never creates it. */
    void write(Path file, String value);

    CgroupTree KERNEL = new CgroupTree() {
        @Override
        public boolean isDirectory(Path dir) {
            return Files.isDirectory(dir);
        }

        @Override
        public boolean isFile(Path file) {
            return Files.isRegularFile(file);
        }

        @Override
        public List<Path> children(Path dir) {
            // from the directory entries' types: a stat per entry made observing 1200 cgroups take seconds
            return KernelFiles.subdirectories(dir).stream().map(dir::resolve).toList();
        }

        @Override
        public void mkdir(Path dir) {
            KernelFiles.mkdir(dir, 0755);
        }

        @Override
        public void rmdir(Path dir) {
            KernelFiles.rmdir(dir);
        }

        @Override
        public String read(Path file) {
            return KernelFiles.read(file);
        }

        @Override
        public void write(Path file, String value) {
            KernelFiles.write(file, value);
        }
    };
}
