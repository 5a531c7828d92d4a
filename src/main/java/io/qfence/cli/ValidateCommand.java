package io.qfence.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.qfence.engine.InvariantGate;
import io.qfence.model.Diagnostic;
import io.qfence.model.desired.DesiredState;
import io.qfence.source.LoadResult;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "validate",
        mixinStandardHelpOptions = true,
        description = {"Check the desired state: YAML, schemas, semantic rules and the invariants of policies/.",
            "Every problem is reported, as FILE:LINE:COL: MESSAGE (or as JSON objects).",
            "Exits 0 when the desired state is valid (warnings allowed), 1 when it is not."})
final class ValidateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DesiredStateOptions source;

    @Mixin
    OutputFormatOptions output;

    private final CliContext context;

    ValidateCommand(CliContext context) {
        this.context = context;
    }

    @Override
    public Integer call() {
        LoadResult result = InvariantGate.check(source.load(context.clock()),
                LocalDate.ofInstant(context.clock().instant(), ZoneOffset.UTC));
        PrintWriter out = spec.commandLine().getOut();
        switch (output.format()) {
            case text -> printText(result, out);
            case json -> out.println(json(result));
        }
        out.flush();
        return result.ok() ? ExitCodes.OK : ExitCodes.ERROR;
    }

    private static void printText(LoadResult result, PrintWriter out) {
        result.diagnostics().forEach(out::println);
        int warnings = result.warnings().size();
        String warned = warnings == 0 ? "" : ", " + count(warnings, "warning");
        if (result.ok()) {
            DesiredState s = result.state().orElseThrow();
            out.println("valid: " + count(s.hosts().size(), "host") + ", " + count(s.groups().size(), "group") + ", "
                    + count(vmCount(s), "VM") + warned);
        } else {
            out.println("invalid: " + count(result.errors().size(), "error") + warned);
        }
    }

    static String json(LoadResult result) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        mapper.getFactory().setCharacterEscapes(new TerminalSafeJson());
        ObjectNode root = mapper.createObjectNode();
        root.put("valid", result.ok());
        result.state().ifPresent(s -> {
            root.put("revision", s.revision());
            root.put("hosts", s.hosts().size());
            root.put("groups", s.groups().size());
            root.put("vms", vmCount(s));
        });
        root.put("errors", result.errors().size());
        root.put("warnings", result.warnings().size());
        ArrayNode list = root.putArray("diagnostics");
        for (Diagnostic d : result.diagnostics()) {
            ObjectNode o = list.addObject();
            o.put("severity", d.severity().name().toLowerCase(Locale.ROOT));
            o.put("file", d.file());
            o.put("line", d.line());
            o.put("column", d.column());
            o.put("message", d.message());
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain JSON nodes always serializes", e);
        }
    }

    private static int vmCount(DesiredState s) {
        return s.groups().stream().mapToInt(g -> g.vms().size()).sum();
    }

    private static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
