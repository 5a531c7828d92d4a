package io.qfence.daemon.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The record of what was delivered, across restarts: read back as written, owner-only, bounded, and read strictly (a
 * file that is not exactly a ledger is said and not trusted).
 */
class SentLedgerTest {

    static final Instant T = Instant.parse("2026-12-08T01:00:00Z");
    static final Duration DAY = Duration.ofHours(24);

    @TempDir
    Path state;

    final List<String> warnings = new ArrayList<>();

    @Test
    void whatWasSentIsReadBackByTheNextDaemonFromAnOwnerOnlyFile() throws IOException {
        SentLedger ledger = SentLedger.open(state, warnings::add);
        ledger.statusSent("qfence/hv1/abc", "APPLIED\napplied on hv1: 1 action");
        ledger.noticeSent("hv1/guest_crashed/alpha-app", T, DAY);

        SentLedger next = SentLedger.open(state, warnings::add);
        assertThat(next.status("qfence/hv1/abc")).contains("APPLIED\napplied on hv1: 1 action");
        assertThat(next.notice("hv1/guest_crashed/alpha-app")).contains(T);
        assertThat(next.notice("hv1/guest_crashed/beta-db")).isEmpty();
        assertThat(Files.getPosixFilePermissions(state.resolve(SentLedger.FILE_NAME)))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(warnings).isEmpty();
    }

    @Test
    void noFileIsAnEmptyLedgerWithoutAWord() {
        assertThat(SentLedger.open(state, warnings::add).status("qfence/hv1/abc")).isEmpty();
        assertThat(warnings).isEmpty();
    }

    @Test
    void itStaysBoundedKeepingTheLatest() throws IOException {
        SentLedger ledger = SentLedger.open(state, warnings::add);
        for (int i = 0; i < SentLedger.MAX_STATUSES + 10; i++) {
            ledger.statusSent("qfence/hv1/" + i, "APPLIED\napplied");
        }
        for (int i = 0; i < SentLedger.MAX_NOTICES + 10; i++) {
            ledger.noticeSent("hv1/drift_found/" + i, T.plusSeconds(i), DAY);
        }
        SentLedger next = SentLedger.open(state, warnings::add);
        assertThat(next.status("qfence/hv1/9")).isEmpty();
        assertThat(next.status("qfence/hv1/10")).isPresent();
        assertThat(next.notice("hv1/drift_found/9")).isEmpty();
        assertThat(next.notice("hv1/drift_found/10")).isPresent();
        assertThat(Files.size(state.resolve(SentLedger.FILE_NAME))).isLessThan(SentLedger.MAX_BYTES / 2);
        assertThat(warnings).isEmpty();
    }

    @Test
    void aNotificationOlderThanItsWindowIsForgotten() {
        SentLedger ledger = SentLedger.open(state, warnings::add);
        ledger.noticeSent("hv1/drift_found/a", T, DAY);
        ledger.noticeSent("hv1/drift_found/b", T.plus(DAY), DAY);

        assertThat(SentLedger.open(state, warnings::add).notice("hv1/drift_found/a")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "not json",
            "[]",
            "{\"version\":2,\"statuses\":[],\"notifications\":[]}",
            "{\"version\":\"1\",\"statuses\":[],\"notifications\":[]}",
            "{\"version\":1,\"statuses\":[]}",
            "{\"version\":1,\"statuses\":[],\"notifications\":[],\"more\":0}",
            "{\"version\":1,\"statuses\":{},\"notifications\":[]}",
            "{\"version\":1,\"statuses\":[{\"key\":\"k\",\"shown\":7}],\"notifications\":[]}",
            "{\"version\":1,\"statuses\":[{\"key\":\"\",\"shown\":\"s\"}],\"notifications\":[]}",
            "{\"version\":1,\"statuses\":[],\"notifications\":[{\"key\":\"k\",\"at\":\"yesterday\"}]}",
            "{\"version\":1,\"statuses\":[{\"key\":\"k\",\"shown\":\"s\"}],\"notifications\":[]} trailing"})
    void aFileThatIsNotExactlyALedgerIsSaidAndNotTrusted(String content) throws IOException {
        Files.writeString(state.resolve(SentLedger.FILE_NAME), content);

        SentLedger ledger = SentLedger.open(state, warnings::add);

        assertThat(warnings).singleElement().asString()
                .startsWith(state.resolve(SentLedger.FILE_NAME) + " is not a record of sent statuses and notifications (")
                .endsWith("): starting with none, so one already sent may be sent again");
        assertThat(ledger.status("k")).isEqualTo(Optional.empty());
    }

    @Test
    void aFileTooLargeToBeALedgerIsNotRead() throws IOException {
        Files.writeString(state.resolve(SentLedger.FILE_NAME), " ".repeat((int) SentLedger.MAX_BYTES + 1));

        SentLedger.open(state, warnings::add);

        assertThat(warnings).singleElement().asString().contains("larger than " + SentLedger.MAX_BYTES + " bytes");
    }
}
