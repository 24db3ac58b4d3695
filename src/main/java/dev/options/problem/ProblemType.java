package dev.options.problem;

/**
 * Every kind of problem the service answers with, as RFC 9457 types. One name per idea: the slug is
 * what clients match on ({@code /problems/invalid-key}), the title is its human name.
 */
public enum ProblemType {
    MALFORMED_JSON(400, "malformed-json", "Malformed JSON"),
    NULL_VALUE(400, "null-value", "JSON null is not an option value"),
    INVALID_VALUE(400, "invalid-value", "Invalid option value"),
    INVALID_KEY(400, "invalid-key", "Invalid option key"),
    INVALID_IDENTIFIER(400, "invalid-identifier", "Invalid identifier"),
    INVALID_PARAMETER(400, "invalid-parameter", "Invalid parameter"),
    INVALID_HEADER(400, "invalid-header", "Invalid header"),
    BAD_REQUEST(400, "bad-request", "Bad request"),
    UNAUTHORIZED(401, "unauthorized", "Authentication required"),
    FORBIDDEN(403, "forbidden", "Not allowed"),
    UNKNOWN_OPTION(404, "unknown-option", "Unknown option"),
    NOT_FOUND(404, "not-found", "Not found"),
    UNKNOWN_DEFINITION(404, "unknown-definition", "Unknown definition"),
    UNKNOWN_VERSION(404, "unknown-version", "Unknown version"),
    METHOD_NOT_ALLOWED(405, "method-not-allowed", "Method not allowed"),
    NOT_ACCEPTABLE(406, "not-acceptable", "Not acceptable"),
    LOCKED(409, "locked", "Locked by an enclosing scope"),
    VERSION_MISMATCH(412, "version-mismatch", "Version does not match"),
    BODY_TOO_LARGE(413, "body-too-large", "Request body too large"),
    VALUE_TOO_LARGE(413, "value-too-large", "Option value too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "unsupported-media-type", "Unsupported media type"),
    TOO_MANY_KEYS(422, "too-many-keys", "Too many options in one scope"),
    INVALID_OPTION(422, "invalid-option", "Option fails its definition"),
    UNSTORABLE_VALUE(422, "unstorable-value", "Option value cannot be stored"),
    INVALID_EPOCH(422, "invalid-epoch", "Epoch out of reach"),
    TOO_MANY_SUBSCRIPTIONS(429, "too-many-subscriptions", "Too many change feed subscriptions"),
    DATABASE_UNAVAILABLE(503, "database-unavailable", "Database unavailable"),
    SHUTTING_DOWN(503, "shutting-down", "Instance shutting down"),
    INTERNAL(500, "internal-error", "Internal error");

    private final int status;
    private final String slug;
    private final String title;

    ProblemType(int status, String slug, String title) {
        this.status = status;
        this.slug = slug;
        this.title = title;
    }

    /** The type that stands for a bare HTTP status, for failures the framework raises. */
    public static ProblemType forStatus(int status) {
        return switch (status) {
            case 400 -> BAD_REQUEST;
            case 401 -> UNAUTHORIZED;
            case 403 -> FORBIDDEN;
            case 404 -> NOT_FOUND;
            case 405 -> METHOD_NOT_ALLOWED;
            case 406 -> NOT_ACCEPTABLE;
            case 413 -> BODY_TOO_LARGE;
            case 415 -> UNSUPPORTED_MEDIA_TYPE;
            case 503 -> DATABASE_UNAVAILABLE;
            default -> status >= 500 ? INTERNAL : BAD_REQUEST;
        };
    }

    public int status() {
        return status;
    }

    /** The problem's {@code type} member, a path relative to the service. */
    public String uri() {
        return "/problems/" + slug;
    }

    public String title() {
        return title;
    }
}
