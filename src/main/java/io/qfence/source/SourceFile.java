package io.qfence.source;

import java.io.IOException;

/**
 * One candidate desired-state file, from a directory or a Git tree. The size is known before the content is read,
 * so an oversized file is refused without reading it.
 */
interface SourceFile {

    /** The path relative to the desired-state root, with '/' separators, e.g. {@code groups/web.yaml}. */
    String path();

    long size();

    byte[] read() throws IOException;
}
