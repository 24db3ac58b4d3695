package dev.options.config;

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

    /** Database bootstrap. */
    Database database();

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

    interface Database {
        /**
         * Create the configured database on the same server when it does not exist, before migrating
         * (on in the dev and test profiles; production databases are provisioned, not conjured).
         */
        @WithDefault("false")
        boolean createIfMissing();
    }
}
