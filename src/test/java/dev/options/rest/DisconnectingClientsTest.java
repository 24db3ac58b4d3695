package dev.options.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.IntNode;

import dev.options.Fixtures;
import dev.options.Http;
import dev.options.option.IfMatch;
import dev.options.option.OptionService;
import dev.options.scope.Scope;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * A request whose client goes away is cancelled, possibly while its transaction waits on a scope's
 * lock: that must not take its database connection with it. Regression test for saves cancelled
 * between their statements, which left their connections holding a live transaction until the
 * pool ran dry and every later request waited 30 s for a connection.
 */
@QuarkusTest
class DisconnectingClientsTest {

    @TestHTTPResource("/")
    URI base;

    @Inject
    OptionService service;

    @Inject
    Vertx vertx;

    @Test
    void savesCancelledWhileWaitingOnALockLeakNoDatabaseConnection() throws Exception {
        long project = Fixtures.newId();
        Scope scope = Scope.project(project);
        Http http = new Http(base);
        assertThat(http.send("PUT", "/v1/projects/" + project + "/options/a", "application/json", "0").status()).isEqualTo(200);

        var config = ConfigProvider.getConfig();
        try (Connection holder = DriverManager.getConnection(config.getValue("quarkus.datasource.jdbc.url", String.class), "postgres", null)) {
            holder.setAutoCommit(false);
            try (PreparedStatement lock = holder.prepareStatement("SELECT version FROM option_scopes WHERE scope_key = ? FOR UPDATE")) {
                lock.setString(1, scope.key().value());
                lock.executeQuery();
            }
            // as many saves as the pool has connections, each waiting on the lock inside its transaction
            int saves = 20;
            List<Cancellable> running = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(saves);
            for (int i = 0; i < saves; i++) {
                int value = i + 1;
                Context context = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
                VertxContextSafetyToggle.setContextSafe(context, true);
                context.runOnContext(ignored -> {
                    service.set(scope, "a", IntNode.valueOf(value));
                    synchronized (running) {
                        running.add(service.save(scope, IfMatch.NONE).subscribe().with(view -> { }, failure -> { }));
                    }
                    started.countDown();
                });
            }
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            Thread.sleep(500);
            // their clients go away: every one is cancelled while it waits
            synchronized (running) {
                running.forEach(Cancellable::cancel);
            }
            Thread.sleep(200);
            holder.commit();
        }

        for (int i = 0; i < 25; i++) {
            long began = System.nanoTime();
            Http.Answer write = http.send("PUT", "/v1/projects/" + project + "/options/b", "application/json", String.valueOf(i));
            long millis = (System.nanoTime() - began) / 1_000_000;
            assertThat(write.status()).as("write %d after the cancellations: %s", i, write.body()).isEqualTo(200);
            assertThat(millis).as("write %d waited for a connection", i).isLessThan(5000);
        }
    }
}
