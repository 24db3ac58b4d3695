package dev.options.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;

/**
 * A change-feed subscriber costs bounded memory whatever its client does: clients that do not read
 * have their streams ended (and resume without loss), other scopes' events are never kept for a
 * filtered subscriber, missed events are read as the client reads, and a caller holds a bounded
 * number of streams. The buffer is five events here, so that a few socket buffers' worth of events
 * shows it.
 */
@QuarkusTest
@TestProfile(ChangeFeedLimitsTest.SmallBuffers.class)
class ChangeFeedLimitsTest {

    private static final String STREAM = "options:changes:test-limits";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Far more than the sockets' buffers hold between the service and a client that does not read. */
    private static final int FLOOD = 60_000;

    public static class SmallBuffers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("options.feed.stream", STREAM,
                    "options.feed.subscriber-buffer", "5",
                    "options.feed.max-subscriptions-per-caller", "3",
                    "quarkus.log.category.\"dev.options.rest\".level", "DEBUG");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Inject
    Redis redis;

    @Inject
    InvalidationFeed feed;

    @BeforeEach
    void connected() {
        Events.awaitConnected(feed);
    }

    /** Appends {@code count} events of scope {@code scope} in one server-side loop; answers the last id. */
    private String flood(String scope, int count) {
        String script = "local id for i = 1, tonumber(ARGV[2]) do id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', 200000, '*',"
                + " 'scope', ARGV[1], 'version', i, 'keys', '[]') end return id";
        return redis.send(Request.cmd(Command.EVAL).arg(script).arg(1).arg(STREAM).arg(scope).arg(count))
                .await().atMost(Duration.ofSeconds(30)).toString();
    }

    private String newestId() {
        var newest = redis.send(Request.cmd(Command.XREVRANGE).arg(STREAM).arg("+").arg("-").arg("COUNT").arg(1))
                .await().atMost(Duration.ofSeconds(5));
        return newest == null || newest.size() == 0 ? "0-0" : newest.get(0).get(0).toString();
    }

    /** A stream read over a plain socket with a small receive window, so that not reading stops the service's writes. */
    static final class RawStream implements AutoCloseable {
        private final Socket socket = new Socket();
        private final BufferedReader in;
        final int status;

        RawStream(URI base, String pathAndQuery, String lastEventId) throws IOException {
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            String request = "GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nAccept: text/event-stream\r\n"
                    + (lastEventId == null ? "" : "Last-Event-ID: " + lastEventId + "\r\n") + "\r\n";
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String statusLine = in.readLine();
            status = Integer.parseInt(statusLine.split(" ")[1]);
            for (String header = in.readLine(); header != null && !header.isEmpty(); header = in.readLine()) {
                // headers are not needed
            }
        }

        /**
         * The ids of the events read until the stream ends or {@code wanted} have come (chunk sizes
         * and blank lines skipped); null in the list's place for an end of stream is not added.
         */
        List<String> read(int wanted, Duration quiet) throws IOException {
            socket.setSoTimeout((int) quiet.toMillis());
            List<String> ids = new ArrayList<>();
            try {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.equals("0")) {
                        // the last chunk: the response is over (the connection may be kept for another)
                        ended = true;
                        return ids;
                    }
                    if (line.startsWith("id:")) {
                        ids.add(line.substring(3).trim());
                        if (ids.size() == wanted) {
                            return ids;
                        }
                    }
                }
                ended = true;
            } catch (SocketTimeoutException stillOpen) {
                // nothing more for now
            }
            return ids;
        }

        boolean ended;

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static void assertConsecutive(List<String> ids, String after, List<String> all) {
        int start = after == null ? 0 : all.indexOf(after) + 1;
        assertThat(ids).as("events in stream order, none skipped").isEqualTo(all.subList(start, start + ids.size()));
    }

    private List<String> idsOf(String scope, String after) {
        List<String> ids = new ArrayList<>();
        String cursor = after;
        while (true) {
            var page = redis.send(Request.cmd(Command.XRANGE).arg(STREAM).arg("(" + cursor).arg("+").arg("COUNT").arg(10_000))
                    .await().atMost(Duration.ofSeconds(10));
            if (page == null || page.size() == 0) {
                return ids;
            }
            for (int i = 0; i < page.size(); i++) {
                cursor = page.get(i).get(0).toString();
                if (page.get(i).get(1).get(1).toString().equals(scope)) {
                    ids.add(cursor);
                }
            }
        }
    }

    @Test
    void aClientThatDoesNotReadHasItsStreamEndedAndResumesWithoutLoss() throws Exception {
        String scope = "project_options:" + Fixtures.newId();
        String before = newestId();
        List<String> got;
        try (RawStream idle = new RawStream(base, "/v1/changes?scope=" + scope, null)) {
            assertThat(idle.status).isEqualTo(200);
            Thread.sleep(300);
            flood(scope, FLOOD);
            Thread.sleep(1000);
            got = idle.read(FLOOD, Duration.ofSeconds(10));
            assertThat(idle.ended).as("the stream of a client that did not read was ended, after %d events", got.size()).isTrue();
        }
        List<String> all = idsOf(scope, before);
        assertThat(all).hasSize(FLOOD);
        assertThat(got.size()).as("what it had been sent before the end").isLessThan(FLOOD);
        assertConsecutive(got, null, all);
        String resumeFrom = got.isEmpty() ? before : got.get(got.size() - 1);
        try (RawStream resumed = new RawStream(base, "/v1/changes?scope=" + scope, resumeFrom)) {
            List<String> rest = resumed.read(10, Duration.ofSeconds(10));
            assertThat(rest).as("resumed just after the last event it got").hasSize(10);
            assertConsecutive(rest, got.isEmpty() ? null : resumeFrom, all);
        }
    }

    @Test
    void aSubscriberOfOneScopeKeepsNothingOfOtherScopesEvents() throws Exception {
        String mine = "project_options:" + Fixtures.newId();
        try (RawStream filtered = new RawStream(base, "/v1/changes?scope=" + mine, null)) {
            assertThat(filtered.status).isEqualTo(200);
            Thread.sleep(300);
            flood("project_options:" + Fixtures.newId(), FLOOD);
            Thread.sleep(1000);
            flood(mine, 1);
            List<String> got = filtered.read(1, Duration.ofSeconds(10));
            assertThat(got).as("its own scope's event, after a flood of another's").hasSize(1);
            assertThat(filtered.ended).isFalse();
        }
    }

    @Test
    void missedEventsAreReadAsTheClientReadsThem() throws Exception {
        String scope = "project_options:" + Fixtures.newId();
        String before = newestId();
        flood(scope, FLOOD);
        List<String> all = idsOf(scope, before);
        try (RawStream replaying = new RawStream(base, "/v1/changes?scope=" + scope, before)) {
            assertThat(replaying.status).isEqualTo(200);
            // read nothing for a while: a replay that did not wait for the client would overflow now
            Thread.sleep(2000);
            List<String> got = replaying.read(FLOOD, Duration.ofSeconds(10));
            assertThat(replaying.ended).as("the replaying stream stayed open").isFalse();
            assertThat(got).as("every missed event, in order").isEqualTo(all);
        }
    }

    @Test
    void aCallerHoldsAtMostItsShareOfStreamsAndGetsItBackWhenOneCloses() throws Exception {
        List<RawStream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawStream stream = new RawStream(base, "/v1/changes", null);
                streams.add(stream);
                assertThat(stream.status).as("stream %d", i + 1).isEqualTo(200);
            }
            Http.Answer refused = new Http(base).get("/v1/changes", "Accept", "text/event-stream");
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.json().get("type").asText()).isEqualTo("/problems/too-many-subscriptions");
            streams.remove(0).close();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            int status = 429;
            while (status == 429 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                try (RawStream again = new RawStream(base, "/v1/changes", null)) {
                    status = again.status;
                }
            }
            assertThat(status).as("a closed stream gives its place back").isEqualTo(200);
        } finally {
            for (RawStream stream : streams) {
                stream.close();
            }
        }
    }

    @Test
    void aLastEventIdNoStreamCanHoldIsRefused() {
        Http http = new Http(base);
        for (String id : new String[] { "99999999999999999999", "18446744073709551616-0", "1-18446744073709551616",
                "9999999999999999999-0", String.valueOf(System.currentTimeMillis() + Duration.ofDays(2).toMillis()) }) {
            Http.Answer answer = http.get("/v1/changes", "Last-Event-ID", id, "Accept", "text/event-stream");
            assertThat(answer.status()).as(id).isEqualTo(400);
            assertThat(answer.json().get("type").asText()).isEqualTo("/problems/invalid-header");
        }
    }

    @Test
    void entriesThatAreNoEventsNeitherStopTheFeedNorEndAReplayEarly() throws Exception {
        String scope = "project_options:" + Fixtures.newId();
        String before = newestId();
        // four events, an entry of something else, a malformed one, then ten more events
        flood(scope, 4);
        redis.send(Request.cmd(Command.XADD).arg(STREAM).arg("*").arg("other").arg("thing")).await().atMost(Duration.ofSeconds(5));
        redis.send(Request.cmd(Command.XADD).arg(STREAM).arg("*").arg("scope").arg(scope).arg("version").arg("not-a-number")
                .arg("keys").arg("[]")).await().atMost(Duration.ofSeconds(5));
        flood(scope, 10);
        List<String> all = new ArrayList<>();
        for (String id : idsOf(scope, before)) {
            all.add(id);
        }
        all.remove(4); // the malformed entry of this scope is no event
        try (RawStream replaying = new RawStream(base, "/v1/changes?scope=" + scope, before)) {
            List<String> got = replaying.read(14, Duration.ofSeconds(10));
            assertThat(got).as("every event after the entries that are none").isEqualTo(all);
        }
        Thread.sleep(500);
        assertThat(feed.connected()).as("the tail read past them and stays connected").isTrue();
        try (RawStream live = new RawStream(base, "/v1/changes?scope=" + scope, null)) {
            Thread.sleep(300);
            flood(scope, 1);
            assertThat(live.read(1, Duration.ofSeconds(10))).as("live events still arrive").hasSize(1);
        }
    }
}
