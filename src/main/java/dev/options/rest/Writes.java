package dev.options.rest;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.option.Channel;
import dev.options.option.OptionService;
import dev.options.scope.Scope;
import dev.options.security.Access;
import io.smallrye.mutiny.Uni;

/**
 * The start of every write request: the caller must be allowed to write the scope, and what the
 * request saves is recorded in the history as theirs, through the request's channel.
 */
@ApplicationScoped
class Writes {

    private final Access access;
    private final OptionService service;

    Writes(Access access, OptionService service) {
        this.access = access;
        this.service = service;
    }

    /** Completes once the caller may write {@code scope}, with its changes attributed to it; else a 401 or 403 problem. */
    Uni<Void> allowed(Scope scope, Channel channel) {
        return access.write(scope).invoke(caller -> service.attribute(caller.subject(), channel)).replaceWithVoid();
    }
}
