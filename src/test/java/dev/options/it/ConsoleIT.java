package dev.options.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.options.Fixtures;
import dev.options.Http;

/**
 * The operator console in a real browser (headless Chromium driven by Selenium) against the packaged
 * service: find a scope, edit a value through its definition's form, meet a 412 when another writer
 * got there first, revert, lock at an organization and see the value forced below. A screenshot of
 * each step goes to {@code target/console/}.
 */
class ConsoleIT {

    private static final Path SHOTS = Path.of("target", "console");
    private static final String KEY = "clock_24_hours";

    @Test
    void anOperatorFindsEditsMeetsAConflictRevertsAndLocks() throws Exception {
        Files.createDirectories(SHOTS);
        try (ServiceProcess service = ServiceProcess.start("console", Map.of("options.registry.path", "classpath:registry-example.yaml"))) {
            Http http = new Http(service.base());
            long organization = Fixtures.newId();
            long project = Fixtures.newId();
            assertThat(http.send("PUT", "/v1/projects/" + project, "application/json", "{\"organization\": " + organization + "}")
                    .status()).isEqualTo(200);
            WebDriver browser = chromium();
            try {
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(15));
                browser.get(service.base().resolve("/console").toString());
                wait.until(ExpectedConditions.urlContains("/console/"));
                shot(browser, "01-console");

                open(browser, wait, "project", Map.of("project", project));
                assertThat(cell(browser, KEY, "value")).isEqualTo("false");
                assertThat(cell(browser, KEY, "source")).isEqualTo("default");
                shot(browser, "02-project-found");

                // a value edited through the form its definition's schema makes (a checkbox for a boolean)
                row(browser, KEY).findElement(By.cssSelector("button.edit")).click();
                WebElement box = wait.until(ExpectedConditions.elementToBeClickable(By.id("editor-value")));
                assertThat(box.getAttribute("type")).isEqualTo("checkbox");
                box.click();
                browser.findElement(By.id("editor-save")).click();
                waitForMessage(wait, "Saved " + KEY);
                assertThat(cell(browser, KEY, "value")).isEqualTo("true");
                assertThat(cell(browser, KEY, "source")).isEqualTo("project");
                long savedAt = Long.parseLong(browser.findElement(By.id("scope-version")).getText());
                shot(browser, "03-saved");

                // another writer gets there first while the operator edits: 412, reloaded, the change shown
                row(browser, KEY).findElement(By.cssSelector("button.edit")).click();
                wait.until(ExpectedConditions.elementToBeClickable(By.id("editor-value")));
                assertThat(http.send("PUT", "/v1/projects/" + project + "/options/" + KEY, "application/json", "false").status())
                        .isEqualTo(200);
                browser.findElement(By.id("editor-save")).click();
                waitForMessage(wait, "someone else changed this scope");
                wait.until(driver -> cell(driver, KEY, "value").equals("false"));
                assertThat(row(browser, KEY).getAttribute("class")).contains("changed");
                assertThat(http.get("/v1/projects/" + project + "/options/" + KEY, "Cache-Control", "no-cache").body())
                        .as("the operator's stale edit wrote nothing").isEqualTo("false");
                shot(browser, "04-conflict-handled");

                // revert to the version the operator saved
                WebElement entry = wait.until(ExpectedConditions.presenceOfElementLocated(
                        By.cssSelector("#history li[data-version='" + savedAt + "'] button.revert")));
                entry.click();
                waitForMessage(wait, "Reverted to the options of version " + savedAt);
                assertThat(cell(browser, KEY, "stored")).isEqualTo("true");
                shot(browser, "05-reverted");

                // locked at the organization (at its value in force, the default false): forced below
                open(browser, wait, "organization", Map.of("organization", organization));
                row(browser, KEY).findElement(By.cssSelector("button.lock")).click();
                waitForMessage(wait, "Locked " + KEY);
                assertThat(cell(browser, KEY, "locked")).isEqualTo("locked here");
                shot(browser, "06-locked-at-organization");

                open(browser, wait, "project", Map.of("project", project));
                assertThat(cell(browser, KEY, "value")).isEqualTo("false");
                assertThat(cell(browser, KEY, "source")).isEqualTo("organization");
                assertThat(cell(browser, KEY, "locked")).isEqualTo("locked above");
                assertThat(cell(browser, KEY, "stored")).as("the project's own value is kept").isEqualTo("true");
                assertThat(row(browser, KEY).findElements(By.cssSelector("button.edit"))).as("no edit under a lock").isEmpty();
                shot(browser, "07-forced-below");
            } finally {
                browser.quit();
            }
        }
    }

    /** Headless Chromium, with no network of its own beyond the page's (Debian's chromium and chromium-driver). */
    private static WebDriver chromium() throws Exception {
        ChromeOptions options = new ChromeOptions();
        if (new File("/usr/bin/chromium").exists()) {
            options.setBinary("/usr/bin/chromium");
        }
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,900",
                "--user-data-dir=" + Files.createTempDirectory("console-chromium"));
        ChromeDriverService.Builder driver = new ChromeDriverService.Builder();
        if (new File("/usr/bin/chromedriver").exists()) {
            driver.usingDriverExecutable(new File("/usr/bin/chromedriver"));
        }
        return new ChromeDriver(driver.build(), options);
    }

    private static void open(WebDriver browser, WebDriverWait wait, String kind, Map<String, Long> ids) {
        new Select(browser.findElement(By.id("kind"))).selectByValue(kind);
        ids.forEach((name, id) -> {
            WebElement field = browser.findElement(By.id("id-" + name));
            field.clear();
            field.sendKeys(String.valueOf(id));
        });
        browser.findElement(By.id("open")).click();
        String key = (kind.equals("project") ? "project_options:" : "organization_options:") + ids.values().iterator().next();
        wait.until(ExpectedConditions.textToBe(By.id("scope-key"), key));
        wait.until(driver -> driver.findElement(By.id("message")).getText().startsWith("Opened " + key));
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#values tr[data-key='" + KEY + "']")));
    }

    private static WebElement row(WebDriver browser, String key) {
        return browser.findElement(By.cssSelector("#values tr[data-key='" + key + "']"));
    }

    private static String cell(WebDriver browser, String key, String column) {
        return row(browser, key).findElement(By.cssSelector("td." + column)).getText();
    }

    private static void waitForMessage(WebDriverWait wait, String text) {
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), text));
    }

    private static void shot(WebDriver browser, String name) throws Exception {
        File taken = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(taken.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
