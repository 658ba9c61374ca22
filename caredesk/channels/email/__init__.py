"""E-mail in (smtpd, IMAP, parsing, threading, quarantine) and out (outbound, demo mailbox)."""
