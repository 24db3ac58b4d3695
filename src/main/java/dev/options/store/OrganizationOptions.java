package dev.options.store;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.scope.OptionModel;
import dev.options.store.model.OrganizationOption;

/** The options of organizations. */
@ApplicationScoped
public class OrganizationOptions extends ScopedOptionRepository<OrganizationOption, OrganizationOption.Key> {

    public OrganizationOptions() {
        super(OptionModel.ORGANIZATION_OPTIONS, OrganizationOption.class);
    }
}
