package dev.options.config;

import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The service's own settings, all under {@code options.} (environment: {@code OPTIONS_...}). */
@ConfigMapping(prefix = "options")
public interface OptionsConfig {

    /** What clients may store and send. */
    Limits limits();

    /** The registry of option definitions. */
    Registry registry();

    /** Seconds a client is told to wait ({@code Retry-After}) when Postgres is unreachable for a write. */
    @WithDefault("2")
    int retryAfterSeconds();

    /** Authentication and authorization. */
    Auth auth();

    /** The near cache (per instance) and the shared cache (Redis). */
    Cache cache();

    /** The invalidation feed and change feed: a Redis stream. */
    Feed feed();

    /** The outbox relay, which publishes committed changes that were not published. */
    Outbox outbox();

    /** Database bootstrap. */
    Database database();

    /** Saves. */
    Saves saves();

    /** The history of every scope's changes. */
    History history();

    /** The background migration of values stored under old names of renamed keys. */
    Migration migration();

    interface Migration {
        /** How often an instance looks for values stored under old names, and moves them while it finds any. */
        @WithDefault("PT30S")
        Duration every();

        /** Most scopes moved between two looks at what remains. */
        @WithDefault("100")
        int batch();
    }

    interface History {
        /** How long a change stays in a scope's history (beyond the last {@link #minVersions} kept whatever their age). */
        @WithDefault("P90D")
        Duration retention();

        /** The versions of every scope kept whatever their age. */
        @WithDefault("20")
        int minVersions();

        /** How often an instance removes the changes past retention. */
        @WithDefault("PT10M")
        Duration sweepEvery();
    }

    interface Limits {
        /** Largest serialized size of one option value, in bytes; larger answers 413. */
        @WithDefault("65536")
        int maxValueBytes();

        /** Most stored options in one scope; a write that would exceed it answers 422. */
        @WithDefault("1000")
        int maxKeysPerScope();

        /** Largest request body, in bytes; larger answers 413 before the body is read. */
        @WithDefault("1048576")
        int maxBodyBytes();

        /** Most scope identifiers in one bulk read; more answers 400. */
        @WithDefault("1000")
        int maxBulkIds();
    }

    interface Registry {
        /**
         * The registry file (YAML): a file path, or {@code classpath:name}. None: no definitions, every
         * key untyped and without default.
         */
        Optional<String> path();

        /** Reject keys the registry does not define (422) instead of storing them untyped. */
        @WithDefault("false")
        boolean strict();
    }

    interface Auth {
        /**
         * Require a valid bearer JWT on every API request and authorize it per scope. On by default;
         * off only where every caller is trusted.
         */
        @WithDefault("true")
        boolean enabled();
    }

    interface Cache {
        /** Near and shared caches on; off reads Postgres on every request (the benchmarks' baseline). */
        @WithDefault("true")
        boolean enabled();

        /** About how many heap bytes the near cache's entries take at most (each weighed by its estimated heap use). */
        @WithDefault("16777216")
        long nearMaxWeight();

        /**
         * Heap bytes the near cache's documents tier takes at most for its records (allocated a
         * megabyte at a time as they come), besides its index (about 10 bytes a scope): the serialized
         * documents of organizations, projects and users, what hot reads answer.
         */
        @WithDefault("50331648")
        long nearDocumentsMaxBytes();

        /** How long a near-cache entry lives at most: the backstop against a lost invalidation. */
        @WithDefault("PT5M")
        Duration nearTtl();

        /** How long a shared-cache (Redis) entry lives. */
        @WithDefault("PT1H")
        Duration sharedTtl();

        /** Prefix of the shared cache's Redis keys. */
        @WithDefault("options:scope:")
        String sharedPrefix();

        /** How long a read waits for Redis before it reads Postgres instead. */
        @WithDefault("PT0.5S")
        Duration sharedTimeout();
    }

    interface Feed {
        /** The Redis stream of change events. */
        @WithDefault("options:changes")
        String stream();

        /** About how many events the stream retains (XADD MAXLEN ~). */
        @WithDefault("100000")
        long maxLength();

        /** How long one XREAD blocks waiting for events. */
        @WithDefault("PT5S")
        Duration block();

        /** How long to wait before reconnecting after the feed's connection failed. */
        @WithDefault("PT0.5S")
        Duration reconnectDelay();

        /**
         * Most events one change-feed subscriber may have waiting to be sent (they wait while the
         * client does not read); one more ends its stream, and the client resumes with Last-Event-ID.
         */
        @WithDefault("1000")
        int subscriberBuffer();

        /**
         * How often the feed checks that the stream still holds every event after the one this
         * instance read a check before; when it does not (trimmed past it, or Redis restarted empty),
         * the near cache is flushed, since some invalidations were never heard.
         */
        @WithDefault("PT1S")
        Duration gapCheck();

        /** How often a change-feed stream with nothing to send sends a comment line ({@code : keep-alive}), so proxies keep it. */
        @WithDefault("PT15S")
        Duration heartbeat();

        /** Most change-feed streams one caller (token subject, or address without authentication) holds open at once. */
        @WithDefault("16")
        int maxSubscriptionsPerCaller();
    }

    interface Outbox {
        /** How often each instance's relay looks for committed changes left unpublished. */
        @WithDefault("PT0.5S")
        Duration relayInterval();

        /**
         * How old a change must be before the relay takes it over from the instance that made it; well
         * above {@link #sweepInterval}, so that the relay leaves published changes to the sweep.
         */
        @WithDefault("PT1S")
        Duration relayAfter();

        /** How often published changes are deleted from the outbox, all of them in one statement. */
        @WithDefault("PT0.05S")
        Duration sweepInterval();

        /** Most changes one relay run publishes. */
        @WithDefault("200")
        int relayBatch();
    }

    interface Database {
        /**
         * Create the configured database on the same server when it does not exist, before migrating
         * (on in the dev and test profiles; production databases are provisioned, not conjured).
         */
        @WithDefault("false")
        boolean createIfMissing();
    }

    interface Saves {
        /**
         * Saves of one scope made on this instance run one after another (waiting in memory, holding no
         * connection), outside transactions; off, they queue on the scope's row lock in Postgres.
         */
        @WithDefault("true")
        boolean oneAtATime();

        /**
         * One-statement saves of several scopes made while earlier ones are still in flight go to
         * Postgres together, as one statement per scope kind (one commit), every save's outcome its own;
         * and saves queued behind one another on a scope go as one statement, each its own version.
         * Off, every save is its own statement and commit.
         */
        @WithDefault("true")
        boolean batch();

        /** Most batches of saves being sent at once; saves that arrive meanwhile wait for the next. */
        @WithDefault("4")
        int batchInFlight();

        /**
         * How long the newest batch in flight goes alone before another may go beside it (up to
         * {@link #batchInFlight}): longer packs more saves into each commit; it is also how long a
         * batch held up by a row lock holds back the saves behind it.
         */
        @WithDefault("PT0.01S")
        Duration batchOverlapAfter();

        /** Most saves in one batch, and in one statement of saves queued on a scope. */
        @WithDefault("64")
        int batchSize();
    }
}
