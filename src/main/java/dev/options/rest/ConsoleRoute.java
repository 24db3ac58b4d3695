package dev.options.rest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import io.vertx.ext.web.Router;

/**
 * {@code /console} without its trailing slash: the browser is sent to the operator console's page,
 * the static files under {@code META-INF/resources/console/}.
 */
@ApplicationScoped
public class ConsoleRoute {

    void install(@Observes Router router) {
        // the route matches /console/ too, which the static files answer
        router.get("/console").handler(context -> {
            if (context.request().path().equals("/console")) {
                context.redirect("/console/");
            } else {
                context.next();
            }
        });
    }
}
