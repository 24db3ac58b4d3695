package dev.options.option;

/** Through what a change came, as its history records it. */
public enum Channel {
    /** A client's request (or code using the service directly). */
    API("api"),
    /** A revert to an earlier version. */
    REVERT("revert"),
    /** The background migration of a renamed key. */
    MIGRATION("migration"),
    /** A lock or an unlock. */
    LOCK("lock");

    private final String label;

    Channel(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
