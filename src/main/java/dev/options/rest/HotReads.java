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
 * The hot read, {@code GET /v1/{organizations|projects|users}/{id}/options} in its plain form, and the
 * hot inherited read, {@code ?inherit=true} of every kind, answered on a Vert.x route ahead of the REST
 * layer: the same pre-serialized document, the same headers and
 * {@code If-None-Match} answer as {@link ScopeOptionsResource#read}, for a fraction of the framework's
 * per-request cost. Only what it can answer in full is answered here: a request with another query, a
 * {@code Cache-Control} or {@code Pragma} header, an identifier not in canonical form, a caller who may
 * not read the scope (or whose identity is not at hand), or any failure, goes on to the resource,
 * which answers it (problems included) exactly as it answers every other request.
 */
@ApplicationScoped
public class HotReads {

    /** The routes (Vert.x templates) this answers ahead of the REST layer, which has the same paths. */
    public static final String PATH = "/v1/:kind/:id/options";
    public static final String NARROWED = "/v1/users/:userId/:narrowing/:narrowedId/options";
    /** The one query the route answers: the values in force. */
    private static final String INHERIT = "inherit=true";

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
        router.get(NARROWED).order(RouteConstants.ROUTE_ORDER_BEFORE_DEFAULT).handler(this::handleNarrowed);
    }

    private void handle(RoutingContext context) {
        String query = context.request().query();
        boolean inherited = INHERIT.equals(query);
        Scope scope = scopeOf(context.pathParam("kind"), context.pathParam("id"));
        if (scope == null || (query != null && !inherited) || cacheControlled(context)) {
            context.next();
            return;
        }
        answer(context, scope, inherited);
    }

    /** A user's scope in a project or an organization: only its values in force are answered here. */
    private void handleNarrowed(RoutingContext context) {
        Long user = canonicalId(context.pathParam("userId"));
        Long narrowed = canonicalId(context.pathParam("narrowedId"));
        String narrowing = context.pathParam("narrowing");
        if (!INHERIT.equals(context.request().query()) || user == null || narrowed == null || cacheControlled(context)
                || !(narrowing.equals("projects") || narrowing.equals("organizations"))) {
            context.next();
            return;
        }
        answer(context, narrowing.equals("projects") ? Scope.userInProject(user, narrowed) : Scope.userInOrganization(user, narrowed), true);
    }

    private static boolean cacheControlled(RoutingContext context) {
        MultiMap headers = context.request().headers();
        return headers.contains(HttpHeaders.CACHE_CONTROL) || headers.contains("Pragma");
    }

    /** A document to answer with, and its entity tag. */
    private record Answer(String etag, byte[] bytes) {
    }

    private void answer(RoutingContext context, Scope scope, boolean inherited) {
        MultiMap headers = context.request().headers();
        allowed(context, scope)
                .chain(allowed -> !allowed ? Uni.createFrom().<Answer>nullItem()
                        : inherited ? service.readInheritedDocument(scope).map(document -> new Answer("\"" + document.versions() + "\"", document.bytes()))
                        : service.readHotDocument(scope).map(document -> new Answer(Conditional.etag(document.version()), document.bytes())))
                .subscribe().with(document -> {
                    if (document == null) {
                        context.next();
                        return;
                    }
                    boolean notModified;
                    try {
                        notModified = Conditional.noneMatchNamesTag(headers.get(HttpHeaders.IF_NONE_MATCH), document.etag());
                    } catch (RuntimeException malformed) {
                        // a malformed If-None-Match: the resource answers its problem
                        context.next();
                        return;
                    }
                    answered.increment();
                    if (notModified) {
                        context.response().setStatusCode(304).putHeader(HttpHeaders.ETAG, document.etag()).end();
                    } else {
                        context.response()
                                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                                .putHeader(HttpHeaders.ETAG, document.etag())
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

    /** An identifier in canonical form ({@code 1} to {@code 9223372036854775807}, no leading zero), else null. */
    private static Long canonicalId(String id) {
        if (id == null || id.isEmpty() || id.length() > 19 || id.charAt(0) == '0') {
            return null;
        }
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) < '0' || id.charAt(i) > '9') {
                return null;
            }
        }
        try {
            return Long.parseLong(id);
        } catch (NumberFormatException tooLarge) {
            return null;
        }
    }

    /** The scope of a canonical path, else null. */
    static Scope scopeOf(String kind, String id) {
        Long value = canonicalId(id);
        if (value == null) {
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
