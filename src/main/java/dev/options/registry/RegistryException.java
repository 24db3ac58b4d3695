package dev.options.registry;

/** The registry could not be loaded: it does not parse, or contradicts itself. Stops startup. */
public class RegistryException extends IllegalStateException {

    public RegistryException(String message) {
        super(message);
    }
}
