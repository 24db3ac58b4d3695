package dev.options.hierarchy;

import static dev.options.hierarchy.ValuesInForceTest.register;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.options.Database;
import dev.options.Fixtures;
import dev.options.Together;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A lock at an organization while many clients write the key below it: afterwards no write that
 * began after the lock was answered succeeded, every refused write got 409, and what is stored below
 * is exactly what the last accepted write of each scope put there.
 */
@QuarkusTest
class LockRaceTest {

    record Write(long scope, int value, long start, long end, int status) {
    }

    @Test
    void writesBelowRacingALockNeverLandAfterIt() throws Exception {
        long organization = Fixtures.newId();
        long project = Fixtures.newId();
        register(project, organization);
        String lockPath = "/v1/organizations/" + organization + "/locks/custom.k";
        int writers = 8;
        long[] users = new long[writers];
        for (int i = 0; i < writers; i++) {
            users[i] = Fixtures.newId();
            // half the scopes are narrowed to the project, half to the organization
            given().contentType("application/json").body("0").put(path(users[i], i, project, organization) + "/custom.k").then().statusCode(200);
        }
        AtomicLong lockAnswered = new AtomicLong(Long.MAX_VALUE);
        AtomicLong lockSent = new AtomicLong();
        List<Callable<List<Write>>> clients = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            int client = i;
            clients.add(() -> {
                List<Write> writes = new ArrayList<>();
                // until 300 ms after the lock was answered
                for (int n = 1; (lockAnswered.get() == Long.MAX_VALUE || System.nanoTime() < lockAnswered.get() + 300_000_000L)
                        && n < 5_000; n++) {
                    long start = System.nanoTime();
                    int status = given().contentType("application/json").body(String.valueOf(n))
                            .put(path(users[client], client, project, organization) + "/custom.k").then().extract().statusCode();
                    writes.add(new Write(client, n, start, System.nanoTime(), status));
                }
                return writes;
            });
        }
        clients.add(() -> {
            Thread.sleep(300);
            lockSent.set(System.nanoTime());
            int status = given().put(lockPath).then().extract().statusCode();
            lockAnswered.set(System.nanoTime());
            return List.of(new Write(-1, 0, lockSent.get(), lockAnswered.get(), status));
        });
        List<Write> all = Together.run(clients).stream().flatMap(List::stream).toList();

        assertThat(all.stream().filter(w -> w.scope() < 0).findFirst().orElseThrow().status()).isEqualTo(200);
        List<Write> writes = all.stream().filter(w -> w.scope() >= 0).toList();
        assertThat(writes).extracting(Write::status).containsOnly(200, 409);
        assertThat(writes.stream().filter(w -> w.start() > lockAnswered.get()))
                .as("writes begun after the lock was answered").isNotEmpty()
                .allMatch(w -> w.status() == 409);
        assertThat(writes.stream().filter(w -> w.end() < lockSent.get())).as("writes answered before the lock was sent")
                .isNotEmpty().allMatch(w -> w.status() == 200);
        for (int i = 0; i < writers; i++) {
            int scope = i;
            int lastAccepted = writes.stream().filter(w -> w.scope() == scope && w.status() == 200)
                    .mapToInt(Write::value).max().orElse(0);
            String stored = i % 2 == 0
                    ? Database.text("SELECT value::text FROM user_options WHERE user_id = ? AND project_id = ? AND key = 'custom.k'", users[i], project)
                    : Database.text("SELECT value::text FROM user_options WHERE user_id = ? AND organization_id = ? AND key = 'custom.k'", users[i], organization);
            assertThat(stored).as("scope %d holds its last accepted write, no refused one", i).isEqualTo(String.valueOf(lastAccepted));
            // and the version counts exactly the accepted writes (one for the first PUT of 0)
            long accepted = writes.stream().filter(w -> w.scope() == scope && w.status() == 200).count();
            String key = i % 2 == 0 ? "user_options:" + users[i] + ":project:" + project : "user_options:" + users[i] + ":organization:" + organization;
            assertThat(Database.version(key)).isEqualTo(1 + accepted);
        }
    }

    private static String path(long user, int client, long project, long organization) {
        return client % 2 == 0
                ? "/v1/users/" + user + "/projects/" + project + "/options"
                : "/v1/users/" + user + "/organizations/" + organization + "/options";
    }
}
