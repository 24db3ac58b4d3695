package dev.options.rest;

import java.util.ArrayList;
import java.util.List;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import dev.options.config.OptionsConfig;
import dev.options.option.OptionService;
import dev.options.problem.ProblemException;
import dev.options.problem.ProblemType;
import dev.options.scope.ScopeKind;
import dev.options.security.Access;
import io.smallrye.mutiny.Uni;

/** The bulk reads: one key across many scopes of one kind. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public class ScopesResource {

    private final OptionService service;
    private final OptionsConfig config;
    private final Access access;

    public ScopesResource(OptionService service, OptionsConfig config, Access access) {
        this.service = service;
        this.config = config;
        this.access = access;
    }

    @GET
    @Path("organizations/options/{key}")
    public Uni<Response> organizationsBulk(@PathParam("key") String key,
            @QueryParam("ids") List<String> ids) {
        return bulk(ScopeKind.ORGANIZATION, key, ids);
    }

    @GET
    @Path("projects/options/{key}")
    public Uni<Response> projectsBulk(@PathParam("key") String key,
            @QueryParam("ids") List<String> ids) {
        return bulk(ScopeKind.PROJECT, key, ids);
    }

    @GET
    @Path("users/options/{key}")
    public Uni<Response> usersBulk(@PathParam("key") String key,
            @QueryParam("ids") List<String> ids) {
        return bulk(ScopeKind.USER, key, ids);
    }

    private Uni<Response> bulk(ScopeKind kind, String named, List<String> idParameters) {
        String key = service.key(named);
        List<Long> ids = bulkIds(idParameters);
        return access.bulk(kind, ids)
                .chain(() -> service.bulk(kind, key, ids))
                .map(values -> Documents.bulk(key, values));
    }

    private List<Long> bulkIds(List<String> parameters) {
        int max = config.limits().maxBulkIds();
        List<Long> ids = new ArrayList<>();
        if (parameters != null) {
            for (String parameter : parameters) {
                for (String part : parameter.split(",", -1)) {
                    if (ids.size() == max) {
                        throw new ProblemException(ProblemType.INVALID_PARAMETER, "ids may name at most " + max + " scopes");
                    }
                    ids.add(Ids.parse("each of ids", part.trim()));
                }
            }
        }
        if (ids.isEmpty()) {
            throw new ProblemException(ProblemType.INVALID_PARAMETER, "ids must name at least one scope, as ids=1,2,3");
        }
        return ids;
    }
}
