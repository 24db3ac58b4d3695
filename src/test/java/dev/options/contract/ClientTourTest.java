package dev.options.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.URI;

import org.junit.jupiter.api.Test;

import dev.options.Fixtures;
import dev.options.client.ApiClient;
import dev.options.client.ApiException;
import dev.options.client.api.HierarchyApi;
import dev.options.client.api.HistoryApi;
import dev.options.client.api.OptionsApi;
import dev.options.client.model.HistoryEntry;
import dev.options.client.model.Problem;
import dev.options.client.model.Registration;
import dev.options.client.model.RegistrationRequest;
import dev.options.client.model.ScopeDocument;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

/**
 * A short tour with the Java client the build generates from the contract (openapi-generator's
 * {@code java} generator, {@code native} library), as a user's generated client would make it: a
 * write with {@code If-Match}, a read, a conflict, a read of values in force, the history.
 */
@QuarkusTest
class ClientTourTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void aGeneratedClientWritesReadsConflictsInheritsAndReadsHistory() throws Exception {
        ApiClient client = new ApiClient().setScheme(base.getScheme()).setHost(base.getHost()).setPort(base.getPort());
        OptionsApi options = new OptionsApi(client);
        String organization = String.valueOf(Fixtures.newId());
        String project = String.valueOf(Fixtures.newId());
        String user = String.valueOf(Fixtures.newId());

        Registration registered = new HierarchyApi(client).registerProject(project,
                new RegistrationRequest().organization(Long.valueOf(organization)), null);
        assertThat(registered.getOrganization()).isEqualTo(Long.valueOf(organization));

        // a write conditional on the version read (the registration was the scope's first change)
        long before = options.getProjectOptions(project, null, null, null, null, null).getVersion();
        ScopeDocument written = options.putProjectOption(project, "theme", "dark", "\"" + before + "\"");
        assertThat(written.getVersion()).isEqualTo(before + 1);
        assertThat(written.getOptions()).containsEntry("theme", "dark");

        ScopeDocument read = options.getProjectOptions(project, null, null, null, "no-cache", null);
        assertThat(read.getVersion()).isEqualTo(before + 1);
        assertThat(read.getOptions()).containsEntry("theme", "dark");

        // a writer that read the version before loses: 412, with the version to read again
        ApiException conflict = catchThrowableOfType(ApiException.class,
                () -> options.putProjectOption(project, "theme", "light", "\"" + before + "\""));
        assertThat(conflict.getCode()).isEqualTo(412);
        Problem problem = client.getObjectMapper().readValue(conflict.getResponseBody(), Problem.class);
        assertThat(problem.getCurrentVersion()).isEqualTo(before + 1);
        assertThat(problem.getType()).isEqualTo("/problems/version-mismatch");

        // values in force of a user in the project: the organization's language, the project's theme
        options.putOrganizationOption(organization, "language", "fr", null);
        ScopeDocument inForce = options.getUserInProjectOptions(user, project, null, true, null, null, null);
        assertThat(inForce.getOptions()).containsEntry("language", "fr").containsEntry("theme", "dark");
        assertThat(inForce.getSources().get("language")).hasToString("organization");
        assertThat(inForce.getSources().get("theme")).hasToString("project");

        HistoryEntry change = new HistoryApi(client).getProjectHistory(project, null, null, 10).getEntries().get(0);
        assertThat(change.getVersion()).isEqualTo(before + 1);
        assertThat(change.getChanges()).singleElement().satisfies(entry -> {
            assertThat(entry.getKey()).isEqualTo("theme");
            assertThat(entry.getNew()).isEqualTo("dark");
            assertThat(entry.getOld()).isNull();
        });
    }
}
