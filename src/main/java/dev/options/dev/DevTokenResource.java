package dev.options.dev;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.quarkus.arc.profile.IfBuildProfile;
import io.smallrye.jwt.build.Jwt;

/**
 * Mints tokens signed with the dev-only key, so that the API can be tried in dev mode:
 * {@code curl 'localhost:8080/dev/token?sub=5&groups=options-admin'}. Exists only in dev builds.
 */
@Path("/dev/token")
@IfBuildProfile("dev")
public class DevTokenResource {

    private final String issuer;
    private final String audience;

    public DevTokenResource(@ConfigProperty(name = "mp.jwt.verify.issuer") String issuer,
            @ConfigProperty(name = "mp.jwt.verify.audiences") String audience) {
        this.issuer = issuer;
        this.audience = audience;
    }

    @GET
    @Produces(MediaType.TEXT_PLAIN)
    public String mint(@QueryParam("sub") @DefaultValue("1") String subject,
            @QueryParam("groups") @DefaultValue("") String groups,
            @QueryParam("organizations") @DefaultValue("") String organizations,
            @QueryParam("projects") @DefaultValue("") String projects) {
        return Jwt.issuer(issuer)
                .audience(audience)
                .subject(subject)
                .groups(split(groups).stream().collect(Collectors.toSet()))
                .claim("organizations", numbers(organizations))
                .claim("projects", numbers(projects))
                .expiresIn(Duration.ofHours(8))
                .sign();
    }

    private static List<String> split(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static List<Long> numbers(String list) {
        return split(list).stream().map(Long::valueOf).toList();
    }

}
