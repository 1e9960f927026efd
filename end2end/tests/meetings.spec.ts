import { expect, test, type Page } from "@playwright/test";
import { DEMO_PASSWORD, registerMember, signedIn } from "./fixtures";

const register = (page: Page, cluster: string, organisation: string, offers: string, seeks: string, hydrates = true) =>
  registerMember(page, "heidelberg-2027", cluster, organisation, offers, seeks, hydrates);

test("one attendee asks another for a meeting, the other accepts, and both see table and time", async ({ browser }) => {
  const ana = await signedIn(browser, "attendee@eventxchange.test");
  await register(ana, "biorn", "Neckar Proteomics GmbH", "Proteomics assays", "Biomarker validation");
  const kadri = await signedIn(browser, "attendee.tartu@eventxchange.test");
  await register(kadri, "tartu", "Tartu Omics OÜ", "Biomarker validation", "Proteomics assays");

  // Ana finds Kadri in the directory, filtered to her cluster, and asks for the first free slot.
  await ana.goto("/events/heidelberg-2027/participants");
  await expect(ana.locator("body")).toHaveAttribute("data-hydrated", "true");
  await ana.locator("p.facet").filter({ hasText: "Cluster" }).getByRole("link", { name: /Tartu/ }).click();
  await expect(ana).toHaveURL(/cluster=tartu/);
  await ana.getByRole("link", { name: "Kadri Kask" }).click();
  await expect(ana.getByRole("heading", { name: "Kadri Kask" })).toBeVisible();
  await expect(ana.getByText(/Why meet: offers .*validation.*, which you seek/)).toBeVisible();
  await ana.getByLabel("Message (optional)").fill("Shall we talk about validation?");
  await ana.getByRole("button", { name: "Send the request" }).click();
  await expect(ana).toHaveURL(/\/events\/heidelberg-2027\/meetings$/);
  const request = ana.locator("li.meeting", { hasText: "Kadri Kask" });
  await expect(request.locator(".meeting-state")).toHaveText("Waiting for their answer");

  // Kadri accepts; a table is assigned at once.
  await kadri.goto("/events/heidelberg-2027/meetings");
  await expect(kadri.locator("body")).toHaveAttribute("data-hydrated", "true");
  const incoming = kadri.locator("li.meeting", { hasText: "Ana Müller" });
  await expect(incoming.locator(".meeting-state")).toHaveText("Waiting for your answer");
  await expect(incoming).toContainText("Shall we talk about validation?");
  await incoming.getByRole("button", { name: "Accept" }).click();
  await expect(incoming.locator(".meeting-state")).toHaveText("Accepted");
  await expect(incoming.locator(".meeting-when")).toContainText(/Table \d+/);
  const when = (await incoming.locator(".meeting-when").textContent()) ?? "";
  expect(when).toMatch(/14:00–14:20 CE/);

  // Ana sees the same meeting, table and time.
  await ana.reload();
  await expect(request.locator(".meeting-state")).toHaveText("Accepted");
  await expect(request.locator(".meeting-when")).toHaveText(when);
});

/** "YYYY-MM-DD" and minutes since midnight, now, in the event's zone. */
function localNow(zone: string): { day: string; minutes: number } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(new Date())
      .map((p) => [p.type, p.value]),
  );
  return { day: `${parts.year}-${parts.month}-${parts.day}`, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const clock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

async function printedBadgeCode(organiser: Page, name: string): Promise<string> {
  await organiser.goto("/organise/heidelberg-2027/badges");
  return ((await organiser.locator("article.badge", { hasText: name }).locator(".badge-code code").textContent()) ?? "").trim();
}

test("organisers move a meeting to now; at the table Ana types Kadri's badge code, and it is verified once both are checked in", async ({ browser }) => {
  // A 20-minute slot starting two minutes from now must fit before midnight in the event's zone.
  let now = localNow("Europe/Berlin");
  if (now.minutes > 23 * 60 + 30) {
    test.setTimeout(45 * 60 * 1000);
    await expect.poll(() => localNow("Europe/Berlin").minutes, { timeout: 40 * 60 * 1000, intervals: [30_000] }).toBeLessThan(60);
    now = localNow("Europe/Berlin");
  }
  const start = now.minutes + 2;
  const slotStart = clock(start);

  // The meeting of the first journey (or a fresh one, when this journey runs alone).
  const ana = await signedIn(browser, "attendee@eventxchange.test");
  await register(ana, "biorn", "Neckar Proteomics GmbH", "Proteomics assays", "Biomarker validation");
  const kadri = await signedIn(browser, "attendee.tartu@eventxchange.test");
  await register(kadri, "tartu", "Tartu Omics OÜ", "Biomarker validation", "Proteomics assays");
  await ana.goto("/events/heidelberg-2027/meetings");
  await expect(ana.locator("body")).toHaveAttribute("data-hydrated", "true");
  const meeting = ana.locator("li.meeting", { hasText: "Kadri Kask" });
  if (!(await meeting.isVisible())) {
    await ana.goto("/events/heidelberg-2027/participants?cluster=tartu");
    await ana.getByRole("link", { name: "Kadri Kask" }).click();
    await ana.getByRole("button", { name: "Send the request" }).click();
    await kadri.goto("/events/heidelberg-2027/meetings");
    await expect(kadri.locator("body")).toHaveAttribute("data-hydrated", "true");
    await kadri.locator("li.meeting", { hasText: "Ana Müller" }).getByRole("button", { name: "Accept" }).click();
    await expect(kadri.locator("li.meeting", { hasText: "Ana Müller" }).locator(".meeting-state")).toHaveText("Accepted");
  }

  // The organisers run a rehearsal today: the event starts today, with a B2B window now.
  const organiser = await signedIn(browser, "organiser.biorn@eventxchange.test");
  await organiser.goto("/organise/heidelberg-2027");
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  await organiser.getByLabel("First day (YYYY-MM-DD)").fill(now.day);
  await organiser.getByLabel("Doors open (HH:MM)").fill("00:00");
  await organiser.getByRole("button", { name: "Save event details" }).click();
  await expect(organiser.getByText("Event details saved.")).toBeVisible();
  await organiser.goto("/organise/heidelberg-2027/b2b");
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  const windows = organiser.locator("#field-windows");
  await windows.fill(`${now.day} ${slotStart}-${clock(start + 20)}\n${await windows.inputValue()}`);
  await organiser.getByRole("button", { name: "Save the B2B session" }).click();
  await expect(organiser.getByText("Saved.")).toBeVisible();

  // On the meetings desk, the organiser moves Ana and Kadri's meeting into that slot.
  await organiser.getByRole("link", { name: "Book, move and decide meetings" }).click();
  await expect(organiser.getByRole("heading", { name: "Meetings desk" })).toBeVisible();
  await expect(organiser.locator("body")).toHaveAttribute("data-hydrated", "true");
  const agreed = organiser.locator("ul.desk li.meeting").filter({ hasText: "Ana Müller" }).filter({ hasText: "Kadri Kask" });
  const slot = agreed.locator("select[name=slot]");
  const value = await slot.locator("option", { hasText: `${slotStart}–` }).getAttribute("value");
  await slot.selectOption(value ?? "");
  await agreed.getByRole("button", { name: "Move" }).click();
  await expect(organiser.locator("ul.desk li.meeting").filter({ hasText: "Kadri Kask" }).locator(".meeting-when")).toContainText(`${slotStart}–`);

  const kadriCode = await printedBadgeCode(organiser, "Kadri Kask");
  const anaCode = await printedBadgeCode(organiser, "Ana Müller");

  // At the table, Ana types Kadri's badge code.
  await ana.goto("/events/heidelberg-2027/meetings");
  await expect(ana.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(meeting.locator(".meeting-when")).toContainText(`${slotStart}–`);
  await expect(meeting.getByRole("button", { name: "Scan with the camera" })).toBeVisible();
  await meeting.getByLabel("Partner's badge code").fill(kadriCode);
  await meeting.getByRole("button", { name: "Confirm we met" }).click();
  await expect(meeting.locator(".meeting-state")).toHaveText("Held (confirmed at the table; verified once both are checked in)");

  // Both are checked in at the door; then the meeting counts as verified held.
  const door = await signedIn(browser, "scanner.heidelberg@eventxchange.test");
  await door.goto("/scan/heidelberg-2027");
  await expect(door.locator("body")).toHaveAttribute("data-hydrated", "true");
  await expect(door.getByLabel("Check-in list")).toHaveValue(/\d+/);
  for (const code of [anaCode, kadriCode]) {
    const field = door.getByLabel("Scan or type a badge code");
    await field.fill(code);
    await field.press("Enter");
    await expect(door.locator(".verdict .verdict-headline")).toHaveText("VALID");
    await expect(door.locator(".verdict")).toContainText(code === anaCode ? "Ana Müller" : "Kadri Kask");
  }
  await ana.reload();
  await expect(meeting.locator(".meeting-state")).toHaveText("Held (verified)");
  await kadri.goto("/events/heidelberg-2027/meetings");
  await expect(kadri.locator("li.meeting", { hasText: "Ana Müller" }).locator(".meeting-state")).toHaveText("Held (verified)");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the directory filters are links, and a request is a plain form", async ({ page }) => {
    await page.goto("/signin?next=/events/heidelberg-2027/register");
    await page.getByLabel("Email address").fill("attendee@eventxchange.test");
    await page.locator("#field-password").fill(DEMO_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/events\/heidelberg-2027\/register$/);
    await register(page, "biorn", "Neckar Proteomics GmbH", "Proteomics assays", "Biosensor chips", false);

    await page.goto("/events/heidelberg-2027/participants");
    await page.locator("p.facet").filter({ hasText: "Theme" }).getByRole("link", { name: "Micro- and nanoelectronics" }).click();
    await expect(page).toHaveURL(/theme=micro-nano-electronics/);
    const someone = page.locator("li.participant").first();
    await expect(someone).toBeVisible();
    const name = ((await someone.getByRole("link").first().textContent()) ?? "").trim();
    await someone.getByRole("link").first().click();
    await expect(page.getByRole("button", { name: "Send the request" })).toBeVisible();
    await page.getByRole("button", { name: "Send the request" }).click();
    await expect(page).toHaveURL(/\/events\/heidelberg-2027\/meetings$/);
    await expect(page.locator("li.meeting", { hasText: name }).locator(".meeting-state")).toHaveText("Waiting for their answer");
  });
});
