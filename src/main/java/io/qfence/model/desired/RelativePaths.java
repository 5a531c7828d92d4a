package io.qfence.model.desired;

/** The path rule for images: relative, no {@code ..}, no empty or {@code .} components, no NUL or backslash. */
public final class RelativePaths {

    private RelativePaths() {}

    public static boolean isSafe(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.indexOf('\0') >= 0 || path.indexOf('\\') >= 0) {
            return false;
        }
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".") || part.equals("..")) {
                return false;
            }
        }
        return true;
    }

    public static String require(String what, String path) {
        if (!isSafe(path)) {
            throw new IllegalArgumentException(what + " path '" + path
                    + "' must be relative to imagesRoot, without '..', '.' or empty components");
        }
        return path;
    }
}
