"""Acme's own IT articles: policies and how-tos an employee portal typically carries.

(folder, title, tags, HTML body). Written for the sandbox; the procedures match the seeded
catalog (item names, approvals) and groups so the copilot's answers and requests line up.
"""

from __future__ import annotations

ORG_ARTICLES: list[tuple[str, str, list[str], str]] = [
    ("Accounts & Passwords", "Reset your Acme password", ["password", "account"], """
<h2>When to use this</h2><p>You forgot your password, it expired, or your account is locked after too many attempts.</p>
<h2>Reset it yourself</h2><ol><li>Go to <b>https://password.acme.example</b> from any browser, including your phone.</li>
<li>Enter your work email and complete the multi-factor prompt (Microsoft Authenticator or SMS).</li>
<li>Choose a new password: at least 14 characters, not one of your last 10 passwords.</li>
<li>Wait two minutes, then sign in again on your laptop while connected to the office network or VPN so the cached password updates.</li></ol>
<h2>Locked out</h2><p>Accounts unlock automatically after 15 minutes. If you cannot complete multi-factor because you changed phones, see "Set up or move multi-factor authentication" or call the Service Desk on extension 4357 (HELP).</p>"""),
    ("Accounts & Passwords", "Set up or move multi-factor authentication (MFA)", ["mfa", "authenticator", "2fa"], """
<h2>First-time setup</h2><ol><li>Install Microsoft Authenticator from the App Store or Google Play.</li>
<li>On a computer open <b>https://aka.ms/mysecurityinfo</b>, choose <i>Add sign-in method</i> &gt; <i>Authenticator app</i> and scan the QR code.</li>
<li>Approve the test notification on your phone.</li></ol>
<h2>New phone</h2><p>Before you wipe your old phone, add the new phone in My Security Info and then remove the old one. If the old phone is already gone, the Service Desk can issue a one-day Temporary Access Pass after verifying your identity by video call.</p>
<h2>Lost or stolen phone</h2><p>Report it immediately as a security incident: MFA tokens on a lost phone must be revoked.</p>"""),
    ("Accounts & Passwords", "Request a shared mailbox or distribution list", ["mailbox", "email", "distribution list"], """
<h2>Shared mailbox</h2><p>Use the catalog item <b>Shared mailbox</b>. Name the mailbox, list the owners and members. Your manager approves; the Identity &amp; Access team creates it within one business day. Members see it in Outlook automatically after about an hour.</p>
<h2>Distribution list</h2><p>Use the catalog item <b>Distribution list</b>. Lists that include external addresses need Security approval.</p>
<h2>Adding yourself to an existing mailbox</h2><p>Ask the mailbox owner: owners can add members themselves in Outlook on the web under <i>Manage group</i>.</p>"""),
    ("Accounts & Passwords", "Local administrator rights on your laptop", ["admin rights", "administrator", "install"], """
<h2>Policy</h2><p>Acme laptops run without local administrator rights. Most software installs from <b>Company Portal</b> (Windows) or <b>Self Service</b> (Mac) without admin rights.</p>
<h2>If you really need admin rights</h2><p>Request the catalog item <b>Temporary admin rights</b>. Give the business reason and how long you need it (maximum 7 days). Your manager and the Security team both approve. Access is granted through Endpoint Privilege Management and expires automatically.</p>
<h2>Developers</h2><p>Engineering staff get a developer image with container tooling; ask your manager before requesting admin rights.</p>"""),
    ("Network & VPN", "Connect to the VPN (GlobalProtect)", ["vpn", "globalprotect", "remote"], """
<h2>Connect</h2><ol><li>Click the GlobalProtect globe in the menu bar or system tray.</li>
<li>Portal address: <b>vpn.acme.example</b>. Sign in with your work email and approve the MFA prompt.</li>
<li>The icon shows a shield when connected. Internal sites such as the intranet and file shares now work.</li></ol>
<h2>It does not connect</h2><ul><li>Check that you have internet access without the VPN (open any public website).</li>
<li>Hotel and airport Wi-Fi often need you to accept terms in a browser first.</li>
<li>Quit GlobalProtect and start it again; on Windows, restart the <i>PanGPS</i> service or reboot.</li>
<li>If you see "gateway not responding", try the gateway <b>eu.vpn.acme.example</b> or <b>us.vpn.acme.example</b> under Settings.</li></ul>
<h2>Still stuck</h2><p>Raise an incident with the time you tried and a screenshot of the error; the Network team handles VPN issues.</p>"""),
    ("Network & VPN", "Office Wi-Fi: ACME-Corp and ACME-Guest", ["wifi", "wireless", "guest"], """
<h2>ACME-Corp (staff)</h2><p>Company laptops join <b>ACME-Corp</b> automatically with a device certificate; no password is needed. Phones enrolled in Intune also join automatically.</p>
<h2>ACME-Guest (visitors and personal devices)</h2><p>Select <b>ACME-Guest</b>, open a browser, and enter the daily code shown on the reception screens. Guest access lasts 24 hours and cannot reach internal systems.</p>
<h2>Problems</h2><p>Forget the network and rejoin. If a laptop no longer joins ACME-Corp, its certificate may have expired: connect by cable or VPN once and restart. Report whole-floor outages as urgent incidents.</p>"""),
    ("Network & VPN", "Working from home: what you need", ["home", "remote work", "vpn"], """
<h2>Checklist</h2><ul><li>A stable connection of at least 20 Mbit/s; use a cable for video calls if you can.</li>
<li>GlobalProtect VPN only for internal systems; Microsoft 365, Teams and Salesforce work without it.</li>
<li>Company equipment for home offices: one monitor, a headset and a docking station can be requested in the catalog.</li></ul>
<h2>Security</h2><p>Lock your screen when you step away (Windows+L or Ctrl+Cmd+Q), do not let family members use your work laptop, and print confidential documents only in the office.</p>"""),
    ("Devices & Printers", "Printing with Follow-Me printing", ["printer", "printing", "follow me"], """
<h2>How it works</h2><p>All office printers share one queue, <b>Acme-FollowMe</b>. Print as usual, walk to any printer and tap your badge to release the job. Jobs are kept for 24 hours.</p>
<h2>Add the printer</h2><p>Windows: Settings &gt; Printers &gt; Add, choose <i>Acme-FollowMe</i>. Mac: install <i>Follow-Me Printing</i> from Self Service.</p>
<h2>Badge not recognised</h2><p>Register it once: tap the badge, then sign in on the printer screen with your email and password.</p>
<h2>Paper jams and toner</h2><p>Office Services handles paper and toner; report broken printers to the Service Desk with the printer name on its label.</p>"""),
    ("Devices & Printers", "Laptop refresh policy", ["laptop", "refresh", "hardware"], """
<h2>Refresh cycle</h2><p>Laptops are replaced every <b>3 years</b>. IT contacts you about 4 weeks before your refresh date; you do not need to request it.</p>
<h2>Standard models</h2><ul><li>Standard: Dell Latitude 7450 or MacBook Air 13" (16 GB).</li><li>Engineering and design: MacBook Pro 14" (36 GB) or Dell Precision 5690.</li></ul>
<h2>Early replacement</h2><p>Broken or failing laptops are repaired or swapped through an incident. A new laptop outside the cycle is requested with the catalog item <b>New laptop</b> and needs manager approval; above $2,000 the department head approves too.</p>
<h2>Returning the old laptop</h2><p>Back up anything not in OneDrive, then hand the laptop to the IT desk within 2 weeks. Data is wiped to NIST 800-88.</p>"""),
    ("Devices & Printers", "Lost or stolen laptop or phone", ["lost", "stolen", "security"], """
<h2>Act immediately</h2><p>A lost or stolen device is a <b>security incident</b>. Tell the copilot or call the Service Desk on extension 4357 straight away, day or night. Security will lock and wipe the device remotely.</p>
<h2>Then</h2><ul><li>Change your password from another device.</li><li>Report theft to the police and keep the reference number.</li><li>A replacement is issued once the incident is logged; your files are safe in OneDrive.</li></ul>"""),
    ("Devices & Printers", "Monitors, docking stations and headsets", ["monitor", "headset", "dock"], """
<h2>What you can order</h2><p>Through the service catalog: <b>Monitor</b> (27" 4K, up to two per person), <b>Docking station</b> (USB-C) and <b>Headset</b> (Jabra Evolve2 65, wireless). Headsets need no approval; monitors and docks need your manager's approval.</p>
<h2>Delivery</h2><p>Office staff collect from the IT desk, usually within 3 business days. Remote staff get delivery to their home address from the HR system.</p>"""),
    ("Devices & Printers", "Set up work email on your phone", ["mobile", "phone", "email", "intune"], """
<h2>iPhone and Android</h2><ol><li>Install <b>Intune Company Portal</b> and sign in with your work account.</li>
<li>Follow the prompts to register the device; this protects work data only and does not let IT see personal photos or messages.</li>
<li>Install Outlook and Teams from the Company Portal and sign in.</li></ol>
<h2>Why not the built-in mail app?</h2><p>Only Outlook supports the app protection policy that keeps company data separate; other mail apps are blocked.</p>"""),
    ("Software & Licences", "Software request policy", ["software", "licence", "license", "policy"], """
<h2>Before you request</h2><p>Check <b>Company Portal</b> or <b>Self Service</b>: free and site-licensed software installs without a request. Ask the IT copilot whether a licence seat is free.</p>
<h2>Paid software</h2><ul><li>Request it through the service catalog (for example <b>Adobe Acrobat Pro</b>, <b>Microsoft Visio</b>, <b>Figma</b>).</li>
<li>Your reporting manager approves every paid licence.</li><li>If the yearly cost of the request is <b>$500 or more</b>, your department head approves as well.</li>
<li>When no seat is free, Software &amp; Licensing buys one within about 5 business days after approval.</li></ul>
<h2>New software not in the catalog</h2><p>Use <b>New software evaluation</b>. Security reviews data handling before anything is bought.</p>
<h2>Unused licences</h2><p>Licences unused for 90 days are reclaimed and reassigned.</p>"""),
    ("Software & Licences", "Install approved software from Company Portal", ["install", "company portal", "self service"], """
<h2>Windows</h2><p>Open <b>Company Portal</b> from the Start menu, search for the app and click <i>Install</i>. Installs continue in the background.</p>
<h2>Mac</h2><p>Open <b>Self Service</b> from Applications, find the app and click <i>Install</i>.</p>
<h2>Not listed?</h2><p>If the app is licensed (for example Adobe or Visio) request it in the catalog; after approval it appears in Company Portal within an hour.</p>"""),
    ("Software & Licences", "Adobe Acrobat Pro: request, install and sign in", ["adobe", "acrobat", "pdf"], """
<h2>Do you need Pro?</h2><p>Acrobat Reader (free) opens, comments and signs PDFs. You need <b>Acrobat Pro</b> to edit text in PDFs, combine files, redact or create fillable forms.</p>
<h2>Request</h2><p>Use the catalog item <b>Adobe Acrobat Pro</b> (manager approval). After approval, sign in to Acrobat with your work email and choose <i>Company or school account</i>.</p>
<h2>"No licence" after signing in</h2><p>Sign out, quit all Adobe apps and sign in again; licences take up to an hour to sync.</p>"""),
    ("Software & Licences", "Microsoft 365 apps: activation problems", ["office", "activation", "microsoft 365"], """
<h2>Symptoms</h2><p>Word or Excel shows "Unlicensed product" or asks you to activate.</p>
<h2>Fix</h2><ol><li>In any Office app open File &gt; Account and sign out, then sign in with your work email.</li>
<li>Quit all Office apps and restart the laptop.</li><li>Still unlicensed? You may have more than 5 active installs: sign out of old devices at <b>https://myaccount.microsoft.com</b> &gt; Office apps.</li></ol>"""),
    ("Onboarding", "New starter IT checklist", ["onboarding", "new starter", "first day"], """
<h2>Before day one (manager)</h2><p>Raise <b>New hire onboarding</b> in the catalog at least 5 business days before the start date: role, department, location, laptop type and any extra software.</p>
<h2>Day one (new starter)</h2><ol><li>Collect your laptop and badge from the IT desk, or open the delivery box at home.</li>
<li>Sign in with the temporary password from your manager and set a new one.</li><li>Set up multi-factor authentication.</li>
<li>Install Outlook, Teams and the VPN from Company Portal.</li><li>Complete the security awareness training within your first week.</li></ol>"""),
    ("Onboarding", "Leaving Acme: offboarding and returning equipment", ["offboarding", "leaver", "return"], """
<h2>Managers</h2><p>HR triggers offboarding from the HR system; access ends at 18:00 on the last working day.</p>
<h2>Leavers</h2><ul><li>Move personal files off company devices before your last day.</li><li>Return laptop, phone, badge and peripherals to the IT desk or use the prepaid return box.</li>
<li>Hand over shared mailboxes and Teams you own to your manager.</li></ul>"""),
    ("Collaboration", "Teams meeting rooms: join and present", ["teams", "meeting room", "conference"], """
<h2>Join</h2><p>Every meeting room has a Teams Room console. Meetings booked with the room join with one tap on <i>Join</i>. For other meetings tap <i>Join with an ID</i>.</p>
<h2>Present</h2><p>Share from Teams on your laptop, or plug the HDMI/USB-C cable on the table for local presenting.</p>
<h2>Something is broken</h2><p>Report the room name (on the door) and what fails; Desktop Support aims to fix rooms within 4 business hours.</p>"""),
    ("Collaboration", "OneDrive backup and restoring deleted files", ["onedrive", "backup", "restore"], """
<h2>What is backed up</h2><p>Desktop, Documents and Pictures sync to OneDrive automatically on every Acme laptop. Files elsewhere on the laptop are not backed up.</p>
<h2>Restore a deleted file</h2><p>Open OneDrive on the web, choose <i>Recycle bin</i> and restore. Files stay there for 93 days. To roll back a whole folder after ransomware or mass deletion use <i>Settings &gt; Restore your OneDrive</i>.</p>"""),
    ("Collaboration", "Access to shared drives and SharePoint sites", ["shared drive", "sharepoint", "access"], """
<h2>Ask the owner first</h2><p>Every SharePoint site and Teams team has owners who can add you directly. Site owners are listed under <i>Site information</i>.</p>
<h2>Legacy file shares</h2><p>For the old S: drive folders request <b>Access to a shared drive</b> in the catalog with the folder path; the data owner approves.</p>"""),
    ("Security", "Report a phishing email", ["phishing", "security", "email"], """
<h2>Report it</h2><p>In Outlook click <b>Report</b> &gt; <i>Report phishing</i>. The email is removed and sent to Security for analysis.</p>
<h2>If you clicked a link or entered your password</h2><p>This is urgent: change your password immediately and tell the copilot or the Service Desk that you clicked a phishing link. Security will check your account for suspicious sign-ins.</p>
<h2>How to spot phishing</h2><ul><li>Unexpected urgency, invoices or password expiry warnings.</li><li>Sender addresses that do not match the display name.</li><li>Links whose address (hover to see it) is not acme.example or a known partner.</li></ul>"""),
    ("Security", "Data classification and sharing files externally", ["data classification", "sharing", "confidential"], """
<h2>Labels</h2><p>Every document carries a sensitivity label: <b>Public</b>, <b>Internal</b> (default), <b>Confidential</b>, <b>Restricted</b>.</p>
<h2>External sharing</h2><p>Internal files can be shared with named external people through OneDrive links that expire after 30 days. Confidential and Restricted files cannot be shared externally without Security approval. Never use personal email or personal cloud storage for company data.</p>"""),
    ("Security", "Using USB drives and external storage", ["usb", "storage", "encryption"], """
<h2>Policy</h2><p>USB storage is read-only on Acme laptops. To write to a USB drive request <b>Encrypted USB drive</b>: you get a hardware-encrypted drive that is allowed to write.</p>
<h2>Transfer large files instead</h2><p>Use OneDrive sharing links or the company's secure file transfer at https://transfer.acme.example.</p>
<h2>Found a USB stick?</h2><p>Never plug in a drive you found or were given at an event: hand it to the IT desk, which checks it on an isolated machine.</p>"""),
    ("Getting help", "How to get IT help and what to expect", ["help", "service desk", "sla", "hours"], """
<h2>Channels</h2><ul><li>The IT copilot in the portal, 24/7.</li><li>The Service Desk: extension 4357, Monday to Friday 08:00–18:00 London time.</li><li>The IT desk on the 2nd floor of each office for walk-up help.</li></ul>
<h2>Response targets</h2><p>Urgent (whole team blocked, security incident): 30 minutes, around the clock. High: 4 business hours. Medium: 1 business day. Low: 3 business days.</p>
<h2>Outside business hours</h2><p>Only urgent issues are handled by the on-call engineer; everything else is picked up on the next business morning.</p>"""),
    ("Getting help", "Check the status of your tickets and requests", ["ticket", "status", "request"], """
<h2>In the portal</h2><p>Open <i>My tickets</i> to see every incident and request you raised, its status and the latest update from IT. Ask the copilot "what's the status of my tickets?" at any time.</p>
<h2>Statuses</h2><ul><li><b>Open</b>: waiting for IT.</li><li><b>Pending</b>: IT is waiting for you or a supplier.</li><li><b>Resolved</b>: IT thinks it is fixed; reply within 3 days if not.</li><li><b>Closed</b>: done.</li></ul>
<h2>Requests waiting for approval</h2><p>A service request shows who must approve it. Approvers get an email; you can remind them, or ask the copilot who is holding it up.</p>"""),
    ("Getting help", "Outlook keeps asking for a password", ["outlook", "password prompt", "credentials"], """
<h2>Quick fix</h2><ol><li>Make sure you can sign in at https://outlook.office.com; if not, reset your password first.</li>
<li>In Outlook choose File &gt; Account Settings &gt; Reset (Windows) or remove and re-add the account (Mac).</li>
<li>On Windows, open Credential Manager and remove entries that start with <i>MicrosoftOffice</i>, then restart Outlook.</li></ol>
<p>If prompts continue, raise an incident and mention whether Teams also prompts.</p>"""),
    ("Getting help", "Slow laptop: what to try first", ["slow", "performance", "laptop"], """
<h2>Try this</h2><ol><li>Restart: laptops that run for weeks without a reboot slow down and miss updates.</li>
<li>Close browser tabs you are not using; each tab can use hundreds of MB of memory.</li>
<li>Check free disk space: keep at least 20 GB free. OneDrive <i>Free up space</i> helps.</li>
<li>Install pending updates from Settings &gt; Windows Update or Software Update on Mac.</li></ol>
<p>Still slow? Raise an incident: Desktop Support can run diagnostics remotely.</p>"""),
]

# Agents-only articles (folder visibility 3): must never reach the employee portal or the copilot.
AGENT_ARTICLES: list[tuple[str, str, list[str], str]] = [
    ("Service Desk Internal", "Runbook: issuing a Temporary Access Pass", ["runbook", "mfa"], """
<h2>Only after identity verification</h2><p>Verify the employee on a video call against the HR photo, then issue a one-day Temporary Access Pass in Entra ID and note the ticket number.</p>"""),
    ("Service Desk Internal", "Runbook: VPN gateway failover", ["runbook", "vpn"], """
<h2>Steps</h2><p>Drain the affected gateway in Panorama, move users to the secondary region and post an announcement on the status page.</p>"""),
]

# Drafts (status 1): exist in Freshservice but are not published.
DRAFT_ARTICLES: list[tuple[str, str, list[str], str]] = [
    ("Network & VPN", "DRAFT: New Zero Trust access client (pilot)", ["ztna"], "<p>Pilot instructions, not yet published.</p>"),
    ("Software & Licences", "DRAFT: Generative AI tools policy", ["ai"], "<p>Under review by Legal.</p>"),
]
