package dev.options;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A one-node Redis Cluster of the test's own on a free port (the node holds all 16,384 slots), and
 * the service's Redis client in cluster mode: keys of different slots still make cross-slot
 * requests, which the client splits by slot, as against a cluster of many nodes.
 */
public class PrivateClusterRedis implements QuarkusTestResourceLifecycleManager {

    private Process server;
    private int port;

    @Override
    public Map<String, String> start() {
        port = PrivateRedis.freePort();
        File nodes = new File(System.getProperty("java.io.tmpdir"), "options-cluster-nodes-" + port + ".conf");
        nodes.delete();
        server = PrivateRedis.launch(port, "--cluster-enabled", "yes", "--cluster-config-file", nodes.getName());
        cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cli("CLUSTER", "INFO").contains("cluster_state:ok")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the one-node cluster on port " + port + " did not become ready");
            }
            PrivateRedis.sleep();
        }
        return Map.of("quarkus.redis.hosts", "redis://127.0.0.1:" + port, "quarkus.redis.client-type", "cluster");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.destroyForcibly();
        }
    }

    private String cli(String... arguments) {
        String[] command = new String[arguments.length + 3];
        command[0] = "redis-cli";
        command[1] = "-p";
        command[2] = String.valueOf(port);
        System.arraycopy(arguments, 0, command, 3, arguments.length);
        try {
            Process cli = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(cli.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            cli.waitFor(10, TimeUnit.SECONDS);
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("redis-cli could not be run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
