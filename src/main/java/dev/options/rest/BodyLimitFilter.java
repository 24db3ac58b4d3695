package dev.options.rest;

import java.util.Map;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.config.OptionsConfig;
import dev.options.problem.ProblemType;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;

/**
 * Answers a body that declares itself larger than {@code options.limits.max-body-bytes} with a 413
 * problem before reading it, instead of the framework's bare 413 after reading up to the limit.
 */
@ApplicationScoped
public class BodyLimitFilter {

    void install(@Observes Router router, OptionsConfig config) {
        long max = config.limits().maxBodyBytes();
        router.route().order(Integer.MIN_VALUE + 100).handler(context -> {
            String declared = context.request().getHeader(HttpHeaders.CONTENT_LENGTH);
            if (declared != null) {
                long length;
                try {
                    length = Long.parseLong(declared.trim());
                } catch (NumberFormatException e) {
                    length = -1;
                }
                if (length < 0) {
                    reject(context, ProblemType.BAD_REQUEST, "Content-Length must be a non-negative integer");
                    return;
                }
                if (length > max) {
                    reject(context, ProblemType.BODY_TOO_LARGE, "a request body may take at most " + max + " bytes");
                    return;
                }
            }
            context.next();
        });
    }

    private static void reject(io.vertx.ext.web.RoutingContext context, ProblemType type, String detail) {
        Problems.send(context, type, detail, Map.of(HttpHeaders.CONNECTION.toString(), "close"));
    }
}
