package dev.options.security;

import java.util.List;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;

import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import io.smallrye.mutiny.Uni;

/**
 * Every request to the API must carry a valid bearer token when authentication is on: checked
 * before the request is matched or its input parsed, so a caller without a valid token learns
 * nothing but 401. Operations endpoints ({@code /q/...}) are not part of the API.
 */
public class Authentication {

    private final Access access;

    public Authentication(Access access) {
        this.access = access;
    }

    @ServerRequestFilter(preMatching = true)
    public Uni<Response> authenticate(ContainerRequestContext request) {
        if (!access.enabled() || !request.getUriInfo().getPath().startsWith("/v1/")) {
            return Uni.createFrom().nullItem();
        }
        return access.caller().replaceWith((Response) null);
    }

    /**
     * The change feed is a stream whose status is sent before its first event, so who may follow
     * which scopes is decided here, before the resource opens it. Bound to the resource method
     * ({@link FeedAuthorization}), never to a spelling of its path.
     */
    @ServerRequestFilter
    @FeedAuthorization
    public Uni<Response> authorizeFeed(ContainerRequestContext request) {
        if (!access.enabled()) {
            return Uni.createFrom().nullItem();
        }
        List<String> scopes = request.getUriInfo().getQueryParameters().get("scope");
        return access.feed(scopes == null ? List.of() : scopes).replaceWith((Response) null);
    }
}
