package dev.options.drill;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/** What the workload records: every invocation with its answer, and every change-feed event heard. */
final class Recorded {

    private Recorded() {
    }

    enum Kind {
        /** GET of the scope, caches allowed. */
        READ,
        /** GET with Cache-Control: no-cache. */
        STRONG_READ,
        /** PUT of a unique value of key {@code w} with If-Match. */
        CAS,
        /** PUT of {@code n + 1} with If-Match the version {@code n} was read at. */
        INCREMENT,
        /** PUT of a unique value of key {@code b}, no If-Match (such saves may be made together). */
        BLIND;

        boolean write() {
            return this == CAS || this == INCREMENT || this == BLIND;
        }
    }

    /**
     * Jepsen's outcomes: it happened, it did not (a 4xx, a refused connection), or it may have (a
     * timeout, a cut connection, a 5xx).
     */
    enum Outcome {
        OK, FAIL, INFO
    }

    /**
     * One invocation: on {@code instance} (its {@code incarnation}), from {@code invoked} to
     * {@code completed} (nanoTime); for a write, the key and value it wrote and its If-Match (-1 for
     * none); for an OK answer, the version and the options of the document it answered.
     */
    record Op(int process, int instance, int incarnation, Kind kind, long user, long invoked, long completed, Outcome outcome,
            int status, long version, JsonNode options, String key, JsonNode value, long ifMatch) {
    }

    /** A change-feed event as subscriber {@code subscriber} heard it from {@code instance}. */
    record Event(int subscriber, int instance, int incarnation, int connection, long received, String type, String id, long user,
            long version, List<String> keys) {
    }

    /** A subscriber's (re)connection: {@code resumedFrom} is the Last-Event-ID it sent, null for none. */
    record Connection(int subscriber, int instance, int connection, long opened, String resumedFrom) {
    }

    /** A fault of one instance (paused, killed) from {@code from} until it could answer again ({@code to}), nanoTime. */
    record Outage(int instance, long from, long to) {

        boolean overlaps(long start, long end) {
            return start < to && end > from;
        }
    }

    /** The truth of one scope in Postgres: its version and its history, changes per version. */
    record Truth(long version, Map<Long, List<Change>> history) {
    }

    record Change(String key, JsonNode newValue) {
    }
}
