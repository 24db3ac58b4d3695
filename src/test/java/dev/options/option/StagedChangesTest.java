package dev.options.option;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Database;
import dev.options.Events;
import dev.options.Fixtures;
import dev.options.Http;
import dev.options.events.InvalidationFeed;
import dev.options.scope.Scope;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * What a unit of work stages is its own until it is saved: no read it makes, of any flag, puts the
 * staged content into the caches that other requests are answered from.
 */
@QuarkusTest
class StagedChangesTest {

    @Inject
    OptionService service;

    @Inject
    InvalidationFeed feed;

    @TestHTTPResource("/")
    URI base;

    @Test
    void aLatestReadAfterStagingNeverCachesTheUncommittedContent() {
        Events.awaitConnected(feed);
        Http http = new Http(base);
        for (ReadFlag flag : new ReadFlag[] { ReadFlag.LATEST, ReadFlag.NORMAL }) {
            long user = Fixtures.newId();
            Scope scope = Scope.user(user);
            String path = "/v1/users/" + user + "/options";
            // stored behind the caches' back, so that no cache holds the scope before the read below
            Database.execute("INSERT INTO option_scopes (scope_key, version) VALUES (?, 1)", scope.key().value());
            Database.execute("INSERT INTO user_options (user_id, key, value) VALUES (?, 'a', '1'::jsonb)", user);

            int seen = RequestCacheTest.inUnitOfWork(() -> {
                service.set(scope, "a", IntNode.valueOf(5));
                return service.read(scope, flag).map(view -> {
                    int staged = view.options().get("a").asInt();
                    service.discard(scope);
                    return staged;
                });
            });
            assertThat(seen).as("%s: the unit of work reads what it staged", flag).isEqualTo(5);

            Http.Answer read = http.get(path);
            assertThat(read.json().get("version").asLong()).isEqualTo(1);
            assertThat(read.json().get("options").get("a").asInt()).as("%s: another request reads what is stored", flag).isEqualTo(1);
            assertThat(http.get(path + "/a").body()).isEqualTo("1");
        }
    }
}
