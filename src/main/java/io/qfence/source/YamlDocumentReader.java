package io.qfence.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.model.Diagnostic;
import io.qfence.model.Origin;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.common.Anchor;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.CollectionStartEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Turns the bytes of one desired-state file into a JSON tree with marks, refusing hostile input early and with a
 * bounded amount of work:
 *
 * <ol>
 *   <li>the size is capped before anything is read ({@link #MAX_FILE_BYTES});
 *   <li>the bytes must be UTF-8 (decoded with {@link CodingErrorAction#REPORT}; the message names the byte);
 *   <li>a first pass over the parser's event stream (which is iterative, so deep nesting cannot overflow the stack)
 *       caps nesting depth, refuses every tag outside the YAML 1.2 core schema, caps aliases to collections (the
 *       "billion laughs" attack needs many of them) and requires exactly one document;
 *   <li>the composer then builds the node graph (YAML 1.2 core schema: {@code on} and {@code yes} are strings);
 *   <li>conversion to Jackson nodes refuses duplicate keys and non-scalar keys, detects recursive aliases, and caps
 *       the number of nodes after alias expansion ({@link #MAX_NODES}).
 * </ol>
 *
 * Every refusal is a {@link Diagnostic} at the offending line and column. Problems that stop parsing stop this file
 * only; duplicate keys and custom tags are all reported before giving up.
 */
final class YamlDocumentReader {

    static final int MAX_FILE_BYTES = 1024 * 1024;
    static final int MAX_DEPTH = 32;
    static final int MAX_COLLECTION_ALIASES = 16;
    static final int MAX_NODES = 100_000;

    private static final Set<String> CORE_TAGS = Set.of(
            Tag.STR.getValue(), Tag.INT.getValue(), Tag.FLOAT.getValue(), Tag.BOOL.getValue(), Tag.NULL.getValue(),
            Tag.MAP.getValue(), Tag.SEQ.getValue());

    private final String file;
    private final List<Diagnostic> diagnostics;
    private MarkIndex marks;
    private int nodes;

    private YamlDocumentReader(String file, List<Diagnostic> diagnostics) {
        this.file = file;
        this.diagnostics = diagnostics;
    }

    /** The refusal of a file larger than {@link #MAX_FILE_BYTES}, decided from its size alone. */
    static Optional<Diagnostic> checkSize(String file, long size) {
        if (size <= MAX_FILE_BYTES) {
            return Optional.empty();
        }
        return Optional.of(Diagnostic.error(new Origin(file, 1, 1), "file is " + size + " bytes; desired-state files are limited to "
                + MAX_FILE_BYTES + " bytes (1 MiB)"));
    }

    /** Parses one file; on failure the reasons are added to {@code diagnostics} and the result is empty. */
    static Optional<ParsedDocument> read(String file, byte[] bytes, List<Diagnostic> diagnostics) {
        Optional<Diagnostic> tooBig = checkSize(file, bytes.length);
        if (tooBig.isPresent()) {
            diagnostics.add(tooBig.get());
            return Optional.empty();
        }
        return new YamlDocumentReader(file, diagnostics).read(bytes);
    }

    private Optional<ParsedDocument> read(byte[] bytes) {
        Optional<String> text = decodeUtf8(bytes);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        LoadSettings settings = LoadSettings.builder()
                .setLabel(file)
                .setSchema(new CoreSchema())
                .setAllowDuplicateKeys(false)
                .setAllowRecursiveKeys(false)
                .setMaxAliasesForCollections(MAX_COLLECTION_ALIASES)
                .setCodePointLimit(MAX_FILE_BYTES)
                .setUseMarks(true)
                .build();
        try {
            int before = diagnostics.size();
            if (!checkEvents(settings, text.get())) {
                return Optional.empty();
            }
            Optional<Node> node = new Compose(settings).composeString(text.get());
            if (node.isEmpty()) {
                error(1, 1, "file is empty; expected a YAML mapping with apiVersion, kind, metadata and spec");
                return Optional.empty();
            }
            marks = new MarkIndex(file);
            JsonNode root = convert(node.get(), "", new IdentityHashMap<>());
            if (diagnostics.size() > before) {
                return Optional.empty();
            }
            return Optional.of(new ParsedDocument(file, root, marks));
        } catch (MarkedYamlEngineException e) {
            Optional<Mark> mark = e.getProblemMark().or(e::getContextMark);
            error(mark.map(m -> m.getLine() + 1).orElse(1), mark.map(m -> m.getColumn() + 1).orElse(1),
                    "invalid YAML: " + e.getProblem() + (e.getContext() == null ? "" : " (" + e.getContext() + ")"));
            return Optional.empty();
        } catch (YamlEngineException e) {
            error(1, 1, "invalid YAML: " + e.getMessage());
            return Optional.empty();
        } catch (Refused e) {
            return Optional.empty();
        }
    }

    /** Strict UTF-8: the first malformed byte is reported with its line, column and offset. A leading BOM is dropped. */
    private Optional<String> decodeUtf8(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xef && (bytes[1] & 0xff) == 0xbb && (bytes[2] & 0xff) == 0xbf) {
            in.position(3);
        }
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            String before = new String(bytes, lineStart, offset - lineStart, StandardCharsets.UTF_8);
            int column = before.codePointCount(0, before.length()) + 1;
            error(line, column, String.format(Locale.ROOT,
                    "not valid UTF-8: byte 0x%02X at offset %d; desired-state files must be UTF-8", bytes[offset] & 0xff, offset));
            return Optional.empty();
        }
        out.flip();
        return Optional.of(out.toString());
    }

    /**
     * The bounded first pass; false when the file must not be composed at all. A refused tag is reported but does
     * not stop the file, so that its other problems (duplicate keys, more tags) are reported in the same run. The event parser keeps its own stack of states instead of recursing, so a document
     * nested a million levels deep is refused here at level {@link #MAX_DEPTH} before the (recursive) composer sees
     * it.
     */
    private boolean checkEvents(LoadSettings settings, String text) {
        int depth = 0;
        int documents = 0;
        int collectionAliases = 0;
        Map<Anchor, Boolean> anchorIsCollection = new HashMap<>();
        // For each open collection: -1 for a sequence, else the number of nodes seen in the mapping so far (an even
        // count means the next node is a key). Needed to find merge keys, which the composer would apply silently.
        java.util.ArrayDeque<int[]> open = new java.util.ArrayDeque<>();
        for (Event event : new Parse(settings).parseString(text)) {
            if (event.getEventId() == Event.ID.Scalar && !open.isEmpty() && open.peek()[0] >= 0 && open.peek()[0] % 2 == 0) {
                ScalarEvent key = (ScalarEvent) event;
                if (key.getValue().equals("<<") && key.isPlain()) {
                    // YAML 1.1's merge key is not part of YAML 1.2: a reviewer would read one value of a field while
                    // another, merged from elsewhere, silently wins.
                    errorAt(event, "merge key '<<' is not part of YAML 1.2; write the fields out instead of merging them");
                }
            }
            switch (event.getEventId()) {
                case Scalar, Alias, MappingStart, SequenceStart -> {
                    if (!open.isEmpty() && open.peek()[0] >= 0) {
                        open.peek()[0]++;
                    }
                }
                default -> {
                    // ends and document markers are not nodes of the enclosing collection
                }
            }
            switch (event.getEventId()) {
                case MappingStart -> open.push(new int[] {0});
                case SequenceStart -> open.push(new int[] {-1});
                case MappingEnd, SequenceEnd -> open.pop();
                default -> {
                    // scalars and aliases open nothing
                }
            }
            switch (event.getEventId()) {
                case DocumentStart -> {
                    documents++;
                    if (documents > 1) {
                        errorAt(event, "a desired-state file holds exactly one YAML document; found a second one here");
                        return false;
                    }
                }
                case MappingStart, SequenceStart -> {
                    CollectionStartEvent start = (CollectionStartEvent) event;
                    checkTag(event, start.getTag());
                    remember(anchorIsCollection, start, true);
                    depth++;
                    if (depth > MAX_DEPTH) {
                        errorAt(event, "nesting is deeper than " + MAX_DEPTH + " levels; desired-state files are limited to "
                                + MAX_DEPTH);
                        return false;
                    }
                }
                case MappingEnd, SequenceEnd -> depth--;
                case Scalar -> {
                    ScalarEvent scalar = (ScalarEvent) event;
                    checkTag(event, scalar.getTag());
                    remember(anchorIsCollection, scalar, false);
                }
                case Alias -> {
                    Anchor alias = ((AliasEvent) event).getAlias();
                    if (Boolean.TRUE.equals(anchorIsCollection.get(alias))) {
                        collectionAliases++;
                        if (collectionAliases > MAX_COLLECTION_ALIASES) {
                            errorAt(event, "more than " + MAX_COLLECTION_ALIASES
                                    + " aliases to mappings or sequences; alias expansion is capped to refuse 'billion laughs' documents");
                            return false;
                        }
                    }
                }
                default -> {
                    // stream and document ends carry nothing to check
                }
            }
        }
        return true;
    }

    private static void remember(Map<Anchor, Boolean> anchors, NodeEvent event, boolean collection) {
        event.getAnchor().ifPresent(a -> anchors.put(a, collection));
    }

    private void checkTag(Event event, Optional<String> tag) {
        if (tag.isEmpty() || CORE_TAGS.contains(tag.get())) {
            return;
        }
        String shown = tag.get().startsWith(Tag.PREFIX) ? "!!" + tag.get().substring(Tag.PREFIX.length()) : tag.get();
        errorAt(event, "tag '" + shown + "' is not allowed; desired-state files use plain YAML without custom tags");
    }

    private JsonNode convert(Node node, String pointer, IdentityHashMap<Node, Boolean> inProgress) {
        if (++nodes > MAX_NODES) {
            errorAt(node, "the document expands to more than " + MAX_NODES + " nodes; alias expansion is capped");
            throw new Refused();
        }
        node.getStartMark().ifPresent(m -> marks.putValue(pointer, m.getLine() + 1, m.getColumn() + 1));
        if (inProgress.containsKey(node)) {
            errorAt(node, "recursive alias: a node cannot contain itself");
            throw new Refused();
        }
        if (node instanceof ScalarNode scalar) {
            return scalar(scalar);
        }
        inProgress.put(node, Boolean.TRUE);
        try {
            if (node instanceof SequenceNode sequence) {
                ArrayNode array = JsonNodeFactory.instance.arrayNode();
                List<Node> items = sequence.getValue();
                for (int i = 0; i < items.size(); i++) {
                    array.add(convert(items.get(i), MarkIndex.child(pointer, i), inProgress));
                }
                return array;
            }
            MappingNode mapping = (MappingNode) node;
            ObjectNode object = JsonNodeFactory.instance.objectNode();
            Map<String, Integer> firstLine = new HashMap<>();
            for (NodeTuple tuple : mapping.getValue()) {
                Node keyNode = tuple.getKeyNode();
                if (!(keyNode instanceof ScalarNode keyScalar)) {
                    errorAt(keyNode, "mapping keys must be plain strings");
                    continue;
                }
                String key = keyScalar.getValue();
                int line = keyNode.getStartMark().map(m -> m.getLine() + 1).orElse(0);
                Integer first = firstLine.putIfAbsent(key, line);
                if (first != null) {
                    errorAt(keyNode, "duplicate key '" + key + "' (first defined on line " + first + ")");
                    continue;
                }
                String member = MarkIndex.child(pointer, key);
                keyNode.getStartMark().ifPresent(m -> marks.putKey(member, m.getLine() + 1, m.getColumn() + 1));
                object.set(key, convert(tuple.getValueNode(), member, inProgress));
            }
            return object;
        } finally {
            inProgress.remove(node);
        }
    }

    /** Scalars as the YAML 1.2 core schema resolved them; numbers keep their exact decimal value. */
    private JsonNode scalar(ScalarNode scalar) {
        String value = scalar.getValue();
        Tag tag = scalar.getTag();
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (tag.equals(Tag.NULL)) {
            return f.nullNode();
        }
        if (tag.equals(Tag.BOOL)) {
            return f.booleanNode(value.equalsIgnoreCase("true"));
        }
        if (tag.equals(Tag.INT)) {
            Optional<BigInteger> n = parseInt(value);
            if (n.isPresent()) {
                BigInteger big = n.get();
                return big.bitLength() < 64 ? f.numberNode(big.longValue()) : f.numberNode(big);
            }
        }
        if (tag.equals(Tag.FLOAT)) {
            String lower = value.toLowerCase(Locale.ROOT);
            if (lower.endsWith(".inf")) {
                return f.numberNode(lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
            }
            if (lower.equals(".nan")) {
                return f.numberNode(Double.NaN);
            }
            try {
                return f.numberNode(new BigDecimal(value));
            } catch (NumberFormatException e) {
                return f.textNode(value);
            }
        }
        return f.textNode(value);
    }

    private static Optional<BigInteger> parseInt(String value) {
        try {
            String v = value.startsWith("+") ? value.substring(1) : value;
            if (v.startsWith("0x")) {
                return Optional.of(new BigInteger(v.substring(2), 16));
            }
            if (v.startsWith("0o")) {
                return Optional.of(new BigInteger(v.substring(2), 8));
            }
            return Optional.of(new BigInteger(v));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private void errorAt(Event event, String message) {
        Optional<Mark> m = event.getStartMark();
        error(m.map(x -> x.getLine() + 1).orElse(1), m.map(x -> x.getColumn() + 1).orElse(1), message);
    }

    private void errorAt(Node node, String message) {
        Optional<Mark> m = node.getStartMark();
        error(m.map(x -> x.getLine() + 1).orElse(1), m.map(x -> x.getColumn() + 1).orElse(1), message);
    }

    private void error(int line, int column, String message) {
        diagnostics.add(Diagnostic.error(new Origin(file, line, column), message));
    }

    /** Stops converting a file whose refusal has already been reported. */
    private static final class Refused extends RuntimeException {
        Refused() {
            super(null, null, false, false);
        }
    }
}
