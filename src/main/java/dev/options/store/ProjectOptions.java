package dev.options.store;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.scope.OptionModel;
import dev.options.store.model.ProjectOption;

/** The options of projects. */
@ApplicationScoped
public class ProjectOptions extends ScopedOptionRepository<ProjectOption, ProjectOption.Key> {

    public ProjectOptions() {
        super(OptionModel.PROJECT_OPTIONS, ProjectOption.class);
    }
}
