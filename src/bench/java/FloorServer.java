import java.nio.file.Files;
import java.nio.file.Path;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;

/**
 * The HTTP floor: a minimal Vert.x server answering every request with the same bytes and headers
 * as the service's hot whole-scope read, with one event loop per core, so that wrk measures what
 * the HTTP stack itself costs on this machine. Usage: FloorServer <port> <body file>.
 */
public final class FloorServer {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Buffer body = Buffer.buffer(Files.readAllBytes(Path.of(args[1])));
        int loops = Runtime.getRuntime().availableProcessors();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
        for (int i = 0; i < loops; i++) {
            vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1"))
                    .requestHandler(request -> request.response()
                            .putHeader("Content-Type", "application/json")
                            .putHeader("ETag", "\"1\"")
                            .putHeader("Cache-Control", "private")
                            .putHeader("X-Content-Type-Options", "nosniff")
                            .end(body))
                    .listen()
                    .toCompletionStage().toCompletableFuture().get();
        }
        System.out.println("floor listening on " + port);
    }
}
