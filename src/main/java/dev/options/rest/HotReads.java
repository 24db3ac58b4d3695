package dev.options.rest;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import dev.options.option.OptionService;
import dev.options.scope.Scope;
import dev.options.security.Access;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.RouteConstants;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.smallrye.mutiny.Uni;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The hot read, {@code GET /v1/{organizations|projects|users}/{id}/options} in its plain form, answered
 * on a Vert.x route ahead of the REST layer: the same pre-serialized document, the same headers and
 * {@code If-None-Match} answer as {@link ScopeOptionsResource#read}, for a fraction of the framework's
 * per-request cost. Only what it can answer in full is answered here: a request with a query, a
 * {@code Cache-Control} or {@code Pragma} header, an identifier not in canonical form, a caller who may
 * not read the scope (or whose identity is not at hand), or any failure, goes on to the resource,
 * which answers it (problems included) exactly as it answers every other request.
 */
@ApplicationScoped
public class HotReads {

    private static final String PATH = "/v1/:kind/:id/options";

    private final OptionService service;
    private final Access access;
    private final Counter answered;

    public HotReads(OptionService service, Access access, MeterRegistry meters) {
        this.service = service;
        this.access = access;
        this.answered = Counter.builder("options.http.hot_reads")
                .description("Whole-scope reads answered on the hot-read route, ahead of the REST layer")
                .register(meters);
    }

    void install(@Observes Router router) {
        router.get(PATH).order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT).handler(this::handle);
    }

    private void handle(RoutingContext context) {
        MultiMap headers = context.request().headers();
        Scope scope = scopeOf(context.pathParam("kind"), context.pathParam("id"));
        if (scope == null || context.request().query() != null
                || headers.contains(HttpHeaders.CACHE_CONTROL) || headers.contains("Pragma")) {
            context.next();
            return;
        }
        allowed(context, scope)
                .chain(allowed -> allowed ? service.readHotDocument(scope) : Uni.createFrom().nullItem())
                .subscribe().with(document -> {
                    if (document == null) {
                        context.next();
                        return;
                    }
                    boolean notModified;
                    try {
                        notModified = Conditional.noneMatchNames(headers.get(HttpHeaders.IF_NONE_MATCH), document.version());
                    } catch (RuntimeException malformed) {
                        // a malformed If-None-Match: the resource answers its problem
                        context.next();
                        return;
                    }
                    answered.increment();
                    String etag = Conditional.etag(document.version());
                    if (notModified) {
                        context.response().setStatusCode(304).putHeader(HttpHeaders.ETAG, etag).end();
                    } else {
                        context.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .putHeader(HttpHeaders.ETAG, etag)
                                .end(Buffer.buffer(document.bytes()));
                    }
                }, failure -> context.next());
    }

    /** Whether the caller may read the scope; false when that is for the resource to say (401, 403). */
    private Uni<Boolean> allowed(RoutingContext context, Scope scope) {
        if (!access.enabled()) {
            return Uni.createFrom().item(true);
        }
        Uni<SecurityIdentity> identity = context.get(QuarkusHttpUser.DEFERRED_IDENTITY_KEY);
        if (identity == null) {
            return Uni.createFrom().item(false);
        }
        return identity.map(found -> !found.isAnonymous() && Access.callerOf(found).canRead(scope))
                .onFailure().recoverWithItem(false);
    }

    /** The scope of a canonical path ({@code 1} to {@code 9223372036854775807}, no leading zero), else null. */
    static Scope scopeOf(String kind, String id) {
        if (id == null || id.isEmpty() || id.length() > 19 || id.charAt(0) == '0') {
            return null;
        }
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) < '0' || id.charAt(i) > '9') {
                return null;
            }
        }
        long value;
        try {
            value = Long.parseLong(id);
        } catch (NumberFormatException tooLarge) {
            return null;
        }
        return switch (kind) {
            case "organizations" -> Scope.organization(value);
            case "projects" -> Scope.project(value);
            case "users" -> Scope.user(value);
            default -> null;
        };
    }
}
