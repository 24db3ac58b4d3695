package dev.options.store;

import jakarta.enterprise.context.ApplicationScoped;

import dev.options.scope.OptionModel;
import dev.options.store.model.UserOption;

/** The options of users: of a user alone, and of a user in one project or one organization. */
@ApplicationScoped
public class UserOptions extends ScopedOptionRepository<UserOption, Long> {

    public UserOptions() {
        super(OptionModel.USER_OPTIONS, UserOption.class);
    }
}
