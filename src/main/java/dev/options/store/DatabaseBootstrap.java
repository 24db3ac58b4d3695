package dev.options.store;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;

import jakarta.inject.Singleton;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.flywaydb.core.api.configuration.FluentConfiguration;

import dev.options.config.OptionsConfig;
import io.quarkus.flyway.FlywayConfigurationCustomizer;
import io.quarkus.logging.Log;

/**
 * Creates the configured database when it is missing, right before Flyway migrates it at startup,
 * when {@code options.database.create-if-missing} is on (the dev and test profiles): a fresh machine
 * with a Postgres server needs no manual step. This runs on the startup thread, where blocking JDBC
 * is allowed; no request is served before the migrations are done.
 */
@Singleton
public class DatabaseBootstrap implements FlywayConfigurationCustomizer {

    private static final String DUPLICATE_DATABASE = "42P04";

    private final OptionsConfig config;
    private final String jdbcUrl;
    private final String username;
    private final Optional<String> password;

    public DatabaseBootstrap(OptionsConfig config,
            @ConfigProperty(name = "quarkus.datasource.jdbc.url") String jdbcUrl,
            @ConfigProperty(name = "quarkus.datasource.username", defaultValue = "postgres") String username,
            @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.config = config;
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
    }

    @Override
    public void customize(FluentConfiguration configuration) {
        if (config.database().createIfMissing()) {
            createIfMissing();
        }
    }

    private void createIfMissing() {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String database = uri.getPath().substring(1);
        String maintenanceUrl = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + "/postgres";
        Properties credentials = new Properties();
        credentials.setProperty("user", username);
        password.ifPresent(secret -> credentials.setProperty("password", secret));
        try (Connection connection = DriverManager.getConnection(maintenanceUrl, credentials)) {
            try (PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                exists.setString(1, database);
                try (ResultSet rows = exists.executeQuery()) {
                    if (rows.next()) {
                        return;
                    }
                }
            }
            try (Statement create = connection.createStatement()) {
                create.execute("CREATE DATABASE \"" + database.replace("\"", "\"\"") + "\"");
                Log.infof("Created database %s", database);
            }
        } catch (SQLException e) {
            if (!DUPLICATE_DATABASE.equals(e.getSQLState())) {
                throw new IllegalStateException("could not create database " + database + ": " + e.getMessage(), e);
            }
        }
    }
}
