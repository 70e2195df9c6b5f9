//! Scrubber corpus: realistic error messages, log lines and URLs of the kind
//! an extension's service worker produces.
//!
//! - [`MUST_CHANGE`]: each input names the sensitive parts that must not
//!   survive scrubbing (recall is measured over these parts);
//! - [`MUST_KEEP`]: inputs that must come back byte-for-byte unchanged
//!   (what debugging needs: versions, timestamps, hashes, UUIDs, line:column,
//!   extension URLs, wasm frames, SRI hashes, prose about tokens...).
//!
//! All card numbers are public test numbers (Luhn-valid), IBANs are the
//! published examples (valid mod-97), keys and tokens are made up in the
//! vendors' formats.

#![allow(dead_code)]

/// One hand-written input, its category, and the parts of it that must be
/// gone after scrubbing.
pub struct Case {
    pub category: &'static str,
    pub input: &'static str,
    pub secrets: &'static [&'static str],
}

const fn c(category: &'static str, input: &'static str, secrets: &'static [&'static str]) -> Case {
    Case {
        category,
        input,
        secrets,
    }
}

pub const MUST_CHANGE: &[Case] = &[
    // --- emails
    c("email", "Failed to sync contacts for john.doe@example.com: 403 Forbidden", &["john.doe@example.com"]),
    c("email", "TypeError: Cannot read properties of undefined (reading 'email') for user maria.garcia+promo@gmail.com", &["maria.garcia+promo@gmail.com"]),
    c("email", "GET https://api.example.com/v1/users?email=jane.w%40corp.example.org&page=2 404", &["jane.w%40corp.example.org"]),
    c("email", "mailto:support-team@my-company.co.uk?subject=Bug%20report", &["support-team@my-company.co.uk"]),
    c("email", "Reply from <noreply@notifications.github.com> bounced", &["noreply@notifications.github.com"]),
    c("email", r#"{"level":"error","msg":"login failed","user":"a.b_c-d@sub.domain.io"}"#, &["a.b_c-d@sub.domain.io"]),
    c("email", "Uncaught (in promise) Error: Account alice.nguyen@example.net is locked", &["alice.nguyen@example.net"]),
    c("email", "redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&login_hint=bob.smith%40outlook.com", &["bob.smith%40outlook.com"]),
    c("email", "chrome.identity.getProfileUserInfo returned {email: 'kim.lee@company.com', id: '10942'}", &["kim.lee@company.com"]),
    c("email", "Sent 3 events for 48213+octocat@users.noreply.github.com", &["48213+octocat@users.noreply.github.com"]),
    c("email", "SMTP 550 5.1.1 <unknown.user@example.de>: Recipient address rejected", &["unknown.user@example.de"]),
    c("email", "Stripe error for customer jane.roe@example.com with card 4000056655665556", &["jane.roe@example.com", "4000056655665556"]),
    c("email", "Phone +1-202-555-0143, email: mike.t@example.org", &["+1-202-555-0143", "mike.t@example.org"]),
    c("email", "Sentry breadcrumb: navigated to https://mail.example.com/u/0/?authuser=ops%40example.com#inbox", &["ops%40example.com"]),
    c("email", "ip=10.1.2.3&user=ana.p@b.co", &["10.1.2.3", "ana.p@b.co"]),
    // --- card numbers
    c("card", "Payment failed for card 4111 1111 1111 1111 (exp 12/27)", &["4111 1111 1111 1111"]),
    c("card", "stripe.confirmCardPayment error: card_number=4242424242424242 declined", &["4242424242424242"]),
    c("card", "Amex 3782-822463-10005 rejected", &["3782-822463-10005"]),
    c("card", "form autofill: cc=5555-5555-5555-4444", &["5555-5555-5555-4444"]),
    c("card", r#"{"cardNumber":"6011111111111117","cvcCheck":"pass"}"#, &["6011111111111117"]),
    c("card", "JCB test 3530111333300000 ok", &["3530111333300000"]),
    c("card", "Diners 3056 930902 5904 declined", &["3056 930902 5904"]),
    c("card", "Discover 6011 0009 9013 9424 charged", &["6011 0009 9013 9424"]),
    c("card", "mastercard 2223 0031 2200 3222 accepted", &["2223 0031 2200 3222"]),
    c("card", "Visa 13-digit 4222222222222 legacy", &["4222222222222"]),
    c("card", "[checkout] paying with 5105 1051 0510 5100 amount=12.99 EUR", &["5105 1051 0510 5100"]),
    c("card", "card: 4012888888881881.", &["4012888888881881"]),
    c("card", "Order #8812 card 378282246310005 expiry 0427", &["378282246310005"]),
    c("card", "Visa 4111-1111-1111-1111, MC 5555 5555 5555 4444", &["4111-1111-1111-1111", "5555 5555 5555 4444"]),
    c("card", "UnionPay 6200000000000005 unsupported", &["6200000000000005"]),
    c("card", "debit 5200828282828210 cvc 123", &["5200828282828210"]),
    c("card", "card 4111 1111 1111 1111 1234 (number then PIN)", &["4111 1111 1111 1111"]),
    c("card", "JCB 3566-0020-2036-0505 via wallet", &["3566-0020-2036-0505"]),
    // --- IBANs
    c("iban", "SEPA transfer to DE89 3704 0044 0532 0130 00 failed", &["DE89 3704 0044 0532 0130 00"]),
    c("iban", "iban=GB82WEST12345698765432", &["GB82WEST12345698765432"]),
    c("iban", "Beneficiary FR14 2004 1010 0505 0001 3M02 606 rejected", &["FR14 2004 1010 0505 0001 3M02 606"]),
    c("iban", "NL91ABNA0417164300 is not allowed for this currency", &["NL91ABNA0417164300"]),
    c("iban", r#"{"payout":{"iban":"ES9121000418450200051332"}}"#, &["ES9121000418450200051332"]),
    c("iban", "Konto: AT611904300234573201.", &["AT611904300234573201"]),
    c("iban", "CH93 0076 2011 6238 5295 7 (Zurich)", &["CH93 0076 2011 6238 5295 7"]),
    c("iban", "refund to BE68539007547034 queued", &["BE68539007547034"]),
    c("iban", "IT60X0542811101000000123456 (Banca)", &["IT60X0542811101000000123456"]),
    c("iban", "PL61109010140000071219812874", &["PL61109010140000071219812874"]),
    c("iban", "IBAN: GB33BUKB20201555555555", &["GB33BUKB20201555555555"]),
    c("iban", "konto SE45 5000 0000 0583 9825 7466", &["SE45 5000 0000 0583 9825 7466"]),
    c("iban", "NO9386011117947 saved", &["NO9386011117947"]),
    // --- IP addresses
    c("ip", "net::ERR_CONNECTION_REFUSED at http://192.168.1.23:8080/api/status", &["192.168.1.23"]),
    c("ip", "X-Forwarded-For: 203.0.113.195, 70.41.3.18", &["203.0.113.195", "70.41.3.18"]),
    c("ip", "client 10.0.0.5 disconnected", &["10.0.0.5"]),
    c("ip", "WebSocket connection to 'ws://172.16.254.1:9222/devtools' failed", &["172.16.254.1"]),
    c("ip", "IPv6 peer 2001:0db8:85a3:0000:0000:8a2e:0370:7334 timed out", &["2001:0db8:85a3:0000:0000:8a2e:0370:7334"]),
    c("ip", "listening on [fe80::1ff:fe23:4567:890a%eth0]:3000", &["fe80::1ff:fe23:4567:890a"]),
    c("ip", "resolved host to ::ffff:192.0.2.128", &["192.0.2.128", "::ffff"]),
    c("ip", "blocked request from 2001:db8::8a2e:370:7334 (rate limit)", &["2001:db8::8a2e:370:7334"]),
    c("ip", "DNS lookup returned 8.8.8.8 and 1.1.1.1", &["8.8.8.8", "1.1.1.1"]),
    c("ip", "remote_addr=198.51.100.42 status=502", &["198.51.100.42"]),
    c("ip", "Chrome/124.0.0.0 reported client IP 192.0.2.44", &["192.0.2.44"]),
    c("ip", "ERR_TUNNEL_CONNECTION_FAILED via proxy 100.64.12.7:3128", &["100.64.12.7"]),
    c("ip", "fetch http://[2001:db8:1::ab9:c0a8:102]:8080/ failed", &["2001:db8:1::ab9:c0a8:102"]),
    // --- JWTs
    c("jwt", "Invalid token eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c expired", &["eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"]),
    c("jwt", "oidc: eyJhbGciOiJSUzI1NiIsImtpZCI6IjFlOWdkazcifQ.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmV4YW1wbGUuY29tIiwic3ViIjoiMjQ4Mjg5NzYxMDAxIiwiZXhwIjoxNzE2MzAwMDAwfQ.rHQjEmBqn9Jre0OLykYNnspA10Qql2rvx4FsD00jwlB0Sym4NzpgvPKsDjn_wMkHxcp6CilPcoKrWHcipR2iAjzLvDNAReF97zoJqq880ZD1bwY82JDauCXELVR9O6_B0w3K-E7yM2macAAgNCUwtik6SjoSUZRcf-O5lygIyLENx882p6MtmwaL1hd6qn5RZOQ0TLrOYu0532g9Exxcm-ChymrB4xLykpDj3lUivJt63eEGGN6DH5K6o33TcxkIjNrCD4XB1CKKumZvCedgHHF3IAK4dVEDSUoGlH9z4pP_eWYNXvqQOjGs-rDaQzUHl6cQQWNiDpWOl_lxXjQEvQ", &["eyJpc3MiOiJodHRwczovL2FjY291bnRzLmV4YW1wbGUuY29tIiwic3ViIjoiMjQ4Mjg5NzYxMDAxIiwiZXhwIjoxNzE2MzAwMDAwfQ"]),
    c("jwt", r#"chrome.storage.local {"access":"eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.MEUCIQDx9y8z7w6v5u4t3s2r1q0p"}"#, &["eyJzdWIiOiIxIn0.MEUCIQDx9y8z7w6v5u4t3s2r1q0p"]),
    c("jwt", "GET /ws?t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.dGVzdHNpZ25hdHVyZQ 101", &["eyJzdWIiOiIxIn0.dGVzdHNpZ25hdHVyZQ"]),
    c("jwt", "unsecured eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. accepted by mistake", &["eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0"]),
    // --- Bearer / Basic
    c("authorization header", "Request headers: Authorization: Bearer ya29.a0AfH6SMBx3kQ_example_token_1234567890", &["ya29.a0AfH6SMBx3kQ_example_token_1234567890"]),
    c("authorization header", "fetch failed with Authorization: Basic dXNlcjpwYXNzd29yZA==", &["dXNlcjpwYXNzd29yZA=="]),
    c("authorization header", "curl -H 'Authorization: Bearer 9f8e7d6c5b4a3210fedcba9876543210' https://api.example.com", &["9f8e7d6c5b4a3210fedcba9876543210"]),
    c("authorization header", "retrying with bearer tok_live_abc123XYZ", &["tok_live_abc123XYZ"]),
    c("authorization header", r#"headers: {"Authorization":"Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a"}"#, &["gho_16C7e42F292c6912E7710c838347Ae178B4a"]),
    c("authorization header", "Auth header was 'Basic YWxhZGRpbjpvcGVuc2VzYW1l'", &["YWxhZGRpbjpvcGVuc2VzYW1l"]),
    c("authorization header", "proxy sent Proxy-Authorization: Basic dXNlcjpwYXNz upstream", &["dXNlcjpwYXNz"]),
    // --- vendor keys
    c("vendor token", "aws configure: AKIAIOSFODNN7EXAMPLE", &["AKIAIOSFODNN7EXAMPLE"]),
    c("vendor token", "S3 upload failed: credentials ASIAY34FZKBOKMUTVV7A expired", &["ASIAY34FZKBOKMUTVV7A"]),
    c("vendor token", "GITHUB_TOKEN=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", &["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"]),
    c("vendor token", "using ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234 for the API", &["ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234"]),
    c("vendor token", "git clone https://github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345@github.com/org/repo.git", &["github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345"]),
    c("vendor token", "pat github_pat_11AAAAAAA0bbbbbbbbbbbb_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC rejected", &["github_pat_11AAAAAAA0bbbbbbbbbbbb_CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"]),
    c("vendor token", "slack webhook token xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", &["xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"]),
    c("vendor token", "Received 'xoxp-1234567890-0987654321-ABCDEF123456' from storage", &["xoxp-1234567890-0987654321-ABCDEF123456"]),
    c("vendor token", "Stripe: Invalid API Key provided: sk_test_4eC39HqLyjWDarjtT1zdp7dc", &["sk_test_4eC39HqLyjWDarjtT1zdp7dc"]),
    c("vendor token", "rk_live_51H8xyzABCDEFGHIJKLMNOP is restricted", &["rk_live_51H8xyzABCDEFGHIJKLMNOP"]),
    c("vendor token", "stripe init with sk_live_51Habcdefghijklmnop1234567890", &["sk_live_51Habcdefghijklmnop1234567890"]),
    c("vendor token", "maps error: key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", &["AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"]),
    c("vendor token", "npm ERR! 401 Unauthorized - token npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", &["npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"]),
    c("vendor token", "gitlab: glpat-9XyZ8wVu7TsRqPoNmLkJ revoked", &["glpat-9XyZ8wVu7TsRqPoNmLkJ"]),
    c("vendor token", "GitLab runner token glrt-t3_AbCdEfGhIjKlMnOpQrSt rejected", &["glrt-t3_AbCdEfGhIjKlMnOpQrSt"]),
    c("vendor token", "OPENAI_API_KEY sk-proj-Abc123Def456Ghi789Jkl012Mno345", &["sk-proj-Abc123Def456Ghi789Jkl012Mno345"]),
    c("vendor token", "Anthropic key sk-ant-api03-AbCdEf123456-GhIjKl789012_MnOpQr", &["sk-ant-api03-AbCdEf123456-GhIjKl789012_MnOpQr"]),
    c("vendor token", "model hub token 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", &["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"]),
    c("vendor token", "SendGrid key 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", &["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"]),
    c("vendor token", "webhook signing secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]),
    c("vendor token", "Google OAuth client secret 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", &["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"]),
    c("vendor token", "Shopify token shpat_0123456789abcdef0123456789abcdef", &["shpat_0123456789abcdef0123456789abcdef"]),
    c("vendor token", "doctl auth dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", &["dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]),
    c("vendor token", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]),
    // --- PEM private keys
    c("pem key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75xNqXU2n8sB\nqXU2n8sBMIIEpAIBAAKCAQEA75xN\n-----END RSA PRIVATE KEY-----", &["MIIEpAIBAAKCAQEA75xNqXU2n8sB", "qXU2n8sBMIIEpAIBAAKCAQEA75xN"]),
    c("pem key", r#"{"key":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"}"#, &["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"]),
    c("pem key", "config error near -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ (truncated)", &["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"]),
    c("pem key", "-----BEGIN EC PRIVATE KEY-----MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oVkYHw==-----END EC PRIVATE KEY-----", &["MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oVkYHw=="]),
    // --- URL credentials
    c("url credentials", "Failed to connect to postgres://admin:S3cr3tP4ss@db.internal.example.com:5432/app", &["admin:S3cr3tP4ss", "S3cr3tP4ss"]),
    c("url credentials", "proxy http://user:pa55word@proxy.example.com:3128 unreachable", &["pa55word"]),
    c("url credentials", "ftp://anonymous:guest123@ftp.example.org/pub/file.txt", &["anonymous:guest123"]),
    c("url credentials", "redis://:authpassword123@cache.example.com:6379/0", &["authpassword123"]),
    c("url credentials", "mongodb+srv://dbUser:dbPa%24%24w0rd@cluster0.abcde.mongodb.net/test?retryWrites=true", &["dbUser:dbPa%24%24w0rd"]),
    c("url credentials", "db url mysql://root:toor@127.0.0.1:3306/shop", &["root:toor", "127.0.0.1"]),
    c("url credentials", "Sentry DSN https://abc123def456@o123.ingest.sentry.io/456", &["abc123def456"]),
    c("url credentials", "Caught: Request failed (401) for https://jdoe@example.com:8443/secure", &["jdoe"]),
    // --- sensitive URL parameters
    c("url parameter", "GET https://example.com/callback?code=4/0AY0e-g7xyzABCdef&state=af0ifjsldkj&scope=email 302", &["4/0AY0e-g7xyzABCdef", "af0ifjsldkj"]),
    c("url parameter", "https://app.example.com/#access_token=ya29.A0ARrdaM-abcdef123456&token_type=Bearer&expires_in=3599", &["ya29.A0ARrdaM-abcdef123456"]),
    c("url parameter", "https://bucket.s3.amazonaws.com/file.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240521%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240521T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", &["AKIAIOSFODNN7EXAMPLE%2F20240521", "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"]),
    c("url parameter", "Loading https://maps.googleapis.com/maps/api/js?key=AIzaSyB41DRUbKWJHPxaFjMAwdrzWzbVKartNGg&callback=initMap", &["AIzaSyB41DRUbKWJHPxaFjMAwdrzWzbVKartNGg"]),
    c("url parameter", "POST /api/login?username=bob&password=hunter2 returned 401", &["hunter2"]),
    c("url parameter", "https://example.com/reset?token=5f2b8c9e1a7d4e3f&uid=42", &["5f2b8c9e1a7d4e3f"]),
    c("url parameter", "https://example.com/page;jsessionid=0A1B2C3D4E5F6G7H8I9J?lang=en", &["0A1B2C3D4E5F6G7H8I9J"]),
    c("url parameter", "https://cdn.example.com/video.mp4?sig=3d5e7f9a1b&exp=1716300000", &["3d5e7f9a1b"]),
    c("url parameter", "callback.html#id_token=abc.def.ghi&state=xyz123", &["abc.def.ghi", "xyz123"]),
    c("url parameter", "wss://realtime.example.com/socket?api_key=live_8f7e6d5c4b3a&v=2", &["live_8f7e6d5c4b3a"]),
    c("url parameter", "https://hooks.example.com/notify?secret=s3cr3t-v4lu3", &["s3cr3t-v4lu3"]),
    c("url parameter", "https://example.com/auth?client_id=my-app&client_secret=Zx9Yw8Vu7Ts6&grant_type=client_credentials", &["Zx9Yw8Vu7Ts6"]),
    c("url parameter", "fetch('https://api.example.com/v2/items?session_id=9a8b7c6d5e4f&limit=50')", &["9a8b7c6d5e4f"]),
    c("url parameter", "https://accounts.example.com/o/oauth2/auth?refresh_token=1//0gLxyzABC-def&foo=bar", &["1//0gLxyzABC-def"]),
    c("url parameter", "body: grant_type=authorization_code&code=SplxlOBeZQQYbYS6WxSbIA&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcb", &["SplxlOBeZQQYbYS6WxSbIA"]),
    c("url parameter", "navigator.sendBeacon('https://collector.example.com/v1/events?jwt=abc.def.ghi')", &["abc.def.ghi"]),
    c("url parameter", "https://example.com/dl?file=report.pdf&Signature=qQ8zJk3%2Bw%3D&Expires=1716300000", &["qQ8zJk3%2Bw%3D"]),
    c("url parameter", "https://www.googleapis.com/drive/v3/files?pageSize=10&access_token=ya29.token-value-1", &["ya29.token-value-1"]),
    // --- home directories
    c("home path", "Error: ENOENT: no such file or directory, open '/home/jsmith/projects/ext/manifest.json'", &["jsmith"]),
    c("home path", "at Object.<anonymous> (/Users/maria.lopez/dev/extension/build.js:12:5)", &["maria.lopez"]),
    c("home path", r"Cannot find module 'C:\Users\RKumar\AppData\Local\npm-cache\x'", &["RKumar"]),
    c("home path", r#"{"path":"C:\\Users\\ASmith\\Documents\\log.txt"}"#, &["ASmith"]),
    c("home path", "file:///home/wei.zhang/Downloads/report.html", &["wei.zhang"]),
    c("home path", "cwd=/Users/tkowalski", &["tkowalski"]),
    c("home path", "C:/Users/Olga/Desktop/x.crx", &["Olga"]),
    c("home path", "Error in /home/ci-builder/work/ext/src/bg.ts:10:3", &["ci-builder"]),
    // --- phone numbers
    c("phone", "Call us at +1 (415) 555-2671 for support", &["+1 (415) 555-2671", "555-2671"]),
    c("phone", "SMS to +447911123456 failed: invalid number", &["+447911123456"]),
    c("phone", "tel:+33-1-42-68-53-00", &["+33-1-42-68-53-00"]),
    c("phone", "contact: +49 30 901820", &["+49 30 901820"]),
    c("phone", "+86 138 0013 8000 verification code sent", &["+86 138 0013 8000"]),
    c("phone", "phone=+61.2.9374.4000", &["+61.2.9374.4000"]),
    // --- US SSNs
    c("us ssn", "SSN 123-45-6789 does not match", &["123-45-6789"]),
    c("us ssn", r#"{"ssn":"219-09-9999"}"#, &["219-09-9999"]),
    c("us ssn", "applicant 078-05-1120 (test)", &["078-05-1120"]),
    // --- deny-listed names in text
    c("assignment in text", "Login failed: password=Tr0ub4dor for user bob", &["Tr0ub4dor"]),
    c("assignment in text", r#"Error: {"username":"bob","password":"correct horse battery staple"}"#, &["correct horse battery staple"]),
    c("assignment in text", r#"body: "{\"api_key\":\"0123456789abcdef0123456789abcdef\"}""#, &["0123456789abcdef0123456789abcdef"]),
    c("assignment in text", "config { secret: 'my-app-secret-value' }", &["my-app-secret-value"]),
    c("assignment in text", "Set-Cookie: sessionid=38afes7a8; HttpOnly; Path=/", &["38afes7a8"]),
    c("assignment in text", "document.cookie = 'auth_token=abc123xyz; path=/'", &["abc123xyz"]),
    c("assignment in text", "X-CSRF-Token=4bd6a8f0c1e2", &["4bd6a8f0c1e2"]),
    c("assignment in text", r#"private_key: "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu""#, &["MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu"]),
    c("assignment in text", "api_key=c0ffee1234567890deadbeef in query", &["c0ffee1234567890deadbeef"]),
    c("assignment in text", "{'token': 'tok_1a2b3c4d5e', 'user': 'x'}", &["tok_1a2b3c4d5e"]),
    c("assignment in text", r#"JSON.parse failed on {"jwt": "abc.def"}"#, &["abc.def"]),
    c("assignment in text", r#"refresh failed: {"refresh_token":"1//04dX-xyzABCdefGhIjk","expires_in":3599}"#, &["1//04dX-xyzABCdefGhIjk"]),
    c("assignment in text", "X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ", &["IQoJb3JpZ2luX2VjEJr"]),
    c("assignment in text", "sessionId=s%3AabcDEF123.xyz", &["s%3AabcDEF123.xyz"]),
    c("assignment in text", "cookie: _ga=GA1.2.3456; session=eyJ1aWQiOjQyfQ==; theme=dark", &["eyJ1aWQiOjQyfQ=="]),
    c("assignment in text", "userPassword=p4ssw0rd! retry=3", &["p4ssw0rd!"]),
    c("assignment in text", r#"{"client_secret": "cs_live_9f8e7d6c", "client_id": "abc"}"#, &["cs_live_9f8e7d6c"]),
    c("assignment in text", "XSRF-TOKEN=CfDJ8NrAkS2mxkJPo-5UjtrXzCnR", &["CfDJ8NrAkS2mxkJPo-5UjtrXzCnR"]),
];

pub const MUST_KEEP: &[&str] = &[
    "Uncaught TypeError: Cannot read properties of undefined (reading 'token')",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.91 Safari/537.36 Edg/124.0.2478.67",
    "Extension version 1.2.3.4 installed",
    "at handleMessage (chrome-extension://abcdefghijklmnopabcdefghijklmnop/background.js:42:17)",
    "at mv3_telemetry.wasm.__wbg_fetch_1b2c (chrome-extension://abcdefghijklmnopabcdefghijklmnop/pkg/mv3_telemetry_bg.wasm:wasm-function[123]:0x1a2b3)",
    "timestamp 1716300000000 exceeded deadline",
    "trace start_us=1716300000123456 end_us=1716300000987654",
    "ts_ns=1716300000123456789 seq=42",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "request id 123e4567-e89b-12d3-a456-426614174000 failed",
    r#"<script src="x.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"></script>"#,
    "keydown key=ArrowDown code=40",
    "Tokenizer failed at line 12:34",
    "tokenizer_version=3",
    "The bearer token is missing from the request",
    "Authorization header must use the Bearer scheme",
    "Authorization: Bearer undefined",
    "Basic authentication failed: realm=\"ext\"",
    "author=jane keyboard=us",
    "Retry-After: 120",
    "Service worker registration failed: An unknown error occurred when fetching the script.",
    "Failed to fetch https://collector.example.com/v1/events (status 503)",
    "chrome.runtime.lastError: Could not establish connection. Receiving end does not exist.",
    "QuotaExceededError: storage limit 10485760 bytes reached",
    "Elapsed 12.345 ms, p95=250.5",
    "Node v18.17.1 / npm 9.6.7",
    "npm install react@18.2.0 lodash@4.17.21",
    "import { foo } from '@scope/pkg'",
    "java.lang.Object@4b1c1ea0",
    "WebAssembly.instantiate(): Compiling function #12 failed @+1234",
    "Error: Network error at 2024-05-21T14:03:11.123Z",
    "Date: Tue, 21 May 2024 14:03:11 GMT",
    r#"Refused to load the script 'https://cdn.example.com/x.js' because it violates the following Content Security Policy directive: "script-src 'self' 'wasm-unsafe-eval'"."#,
    "build 20240521.3 deployed",
    "mac 00:1A:2B:3C:4D:5E",
    "time 10:30:45 local",
    "Version/17.4.1 Safari/605.1.15",
    "port 8080 open, pid 31337",
    "Array(13) [1, 2, 3]",
    "UUID v4: 550e8400-e29b-41d4-a716-446655440000",
    "Counted 4111 events in 16 batches",
    "width=1920&height=1080",
    "https://www.example.com/search?q=privacy+first&page=2",
    "https://example.com/home/dashboard",
    "GET /home/feed?tab=latest 200",
    "https://developer.chrome.com/docs/extensions/reference/api/alarms#method-create",
    "chrome-extension://abcdefghijklmnopabcdefghijklmnop/options.html#general",
    "ws://localhost:8787/socket",
    "A tokenizer produced 512 tokens",
    "session expired, please sign in again",
    "password must contain at least 8 characters",
    "Keep this secret: do not log it",
    "token: expected 3 parts, got 2",
    "Invalid state: pending",
    "Cannot convert 'abc' to a BigInt",
    "errno -104 ECONNRESET",
    r#"ETag W/"5e15153d-120f""#,
    "//# sourceMappingURL=background.js.map",
    "RangeError: Maximum call stack size exceeded",
    "heap 12345678 bytes used of 4294967296",
    "color #ff00aa, rgb(255, 0, 170)",
    "x = 0x7fffffff",
    "at async Promise.all (index 0)",
    "at eval (eval at load (chrome-extension://abcdefghijklmnopabcdefghijklmnop/lib/loader.js:10:15), <anonymous>:1:1)",
    "at new Queue (chrome-extension://abcdefghijklmnopabcdefghijklmnop/lib/queue.js:3:9)",
    "at Object.<anonymous> (chrome-extension://abcdefghijklmnopabcdefghijklmnop/bg.js:1:1)",
    "Phone number field is empty",
    "Total: 1,234,567.89 USD",
    "ISBN 978-3-16-148410-0",
    "tracking 1Z999AA10123456784",
    "order 2024-000123-45",
    "Chrome 124.0.6367.91 on Windows 10.0.19045",
    "ok: true, tokenCount: 42",
    r#"{"token_count":42,"model":"small"}"#,
    "keyboard layout en-US",
    "sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "wasm-function[42]:0x5f3a",
    "Email address is invalid",
    "localhost:3000/api",
    "Range: bytes=0-1023",
    "Tue May 21 2024 16:03:11 GMT+0200 (Central European Summer Time)",
    "score +12.5 points",
    "POST https://collector.example.com/v1/events 413 Payload Too Large (batch 0b9c4a7e)",
    "Refused to execute inline script because it violates CSP 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "apiVersion=2023-10-16",
    "passwordless sign-in link sent",
    "auth_method=oauth",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    "/usr/lib/chromium/chromium --enable-logging --v=1",
    "mailto: link clicked",
    "Token refresh scheduled in 3600 s",
    "batch_id=0b9c4a7e2f31 items=50 bytes=59873",
    "Failed to execute 'put' on 'IDBObjectStore': Evaluating the object store's key path did not yield a value.",
    "git@v2.44.0 installed",
    "sessions=3 tokens=1200",
    "host permission http://localhost:8787/* granted",
    "card_brand=visa last4=4242 exp_month=12",
    "Hash: 5d41402abc4b2a76b9719d911017c592",
    "Uncaught SyntaxError: Unexpected token '<' (at popup.js:1:1)",
    "chunk-4f3a2b1c.js 12.3 kB",
    "code=ERR_NETWORK status=0",
];

// --- generated cases
//
// Everything below is built from tables at test time, deterministically
// (a fixed xorshift seed): tokens in the vendors' published formats with
// random bodies (and a valid CRC32 suffix where the format defines one),
// values in the syntaxes of config files, logs and shells, JWTs with many
// header layouts, national phone formats, SSNs, and innocuous text of the
// kinds that sit next to them (hashes, ids, versions, identifiers).

/// A generated or hand-written case, owned.
pub struct Gen {
    pub category: &'static str,
    pub input: String,
    pub secrets: Vec<String>,
}

/// An innocuous input and its category.
pub struct Keep {
    pub category: &'static str,
    pub input: String,
}

/// Deterministic xorshift.
pub struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n).map(|_| char::from(*self.pick(alphabet))).collect()
    }
}

const UPPER_DIGIT: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER_DIGIT: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";

/// Token formats: prefix, body alphabet, body length, notes.
const VENDOR_FORMATS: &[(&str, &str, usize, &str)] = &[
    ("AKIA", "UpperDigit", 16, "STRONG"),
    ("ASIA", "UpperDigit", 20, "STRONG"),
    ("ABIA", "UpperDigit", 20, "STRONG"),
    ("ACCA", "UpperDigit", 20, "STRONG"),
    ("AGPA", "UpperDigit", 20, "STRONG"),
    ("AIDA", "UpperDigit", 20, "STRONG"),
    ("AROA", "UpperDigit", 20, "STRONG"),
    ("AIPA", "UpperDigit", 20, "STRONG"),
    ("ANPA", "UpperDigit", 20, "STRONG"),
    ("ANVA", "UpperDigit", 20, "STRONG"),
    ("APKA", "UpperDigit", 20, "STRONG"),
    ("A3T", "UpperDigit", 21, ""),
    ("AIza", "B64Url", 35, "STRONG"),
    ("AGE-SECRET-KEY-1", "UpperDigit", 50, "STRONG"),
    ("AKCp", "Alnum", 60, ""),
    ("ATATT3", "B64", 100, ""),
    ("ATCTT3", "B64", 100, ""),
    ("ATBB", "Alnum", 32, ""),
    ("AQVN", "B64Url", 33, ""),
    ("AAAAAAAAAAAAAAAAAAAAA", "B64", 40, "STRONG"),
    ("API-", "UpperDigit", 29, ""),
    ("access_token$production$", "Dotted", 40, "STRONG"),
    ("access_token$sandbox$", "Dotted", 40, "STRONG"),
    ("access-production-", "HexDash", 36, ""),
    ("access-sandbox-", "HexDash", 36, ""),
    ("access-development-", "HexDash", 36, ""),
    ("api_org_", "Alnum", 30, ""),
    ("api_live.", "B64Url", 30, ""),
    ("api_sandbox.", "B64Url", 30, ""),
    ("aio_", "Alnum", 32, ""),
    ("api.telegram.org/bot", "Dotted", 40, "KEEP"),
    ("bkua_", "Hex", 40, ""),
    ("CLOJARS_", "Alnum", 60, ""),
    ("CFPAT-", "B64Url", 43, ""),
    ("CCIPAT_", "B64Url", 40, ""),
    ("cio", "Alnum", 32, ""),
    ("cmVmdGtu", "B64Url", 56, ""),
    ("dop_v1_", "Hex", 64, ""),
    ("doo_v1_", "Hex", 64, ""),
    ("dor_v1_", "Hex", 64, ""),
    ("dapi", "Hex", 32, ""),
    ("dp.pt.", "Alnum", 40, ""),
    ("dp.st.", "Dotted", 40, ""),
    ("dp.ct.", "Alnum", 40, ""),
    ("dp.sa.", "Alnum", 40, ""),
    ("dp.scim.", "Alnum", 40, ""),
    ("dp.audit.", "Alnum", 40, ""),
    ("dckr_pat_", "B64Url", 31, ""),
    ("dckr_oat_", "B64Url", 31, ""),
    ("duffel_live_", "B64Url", 43, ""),
    ("duffel_test_", "B64Url", 43, ""),
    ("dt0c01.", "Dotted", 80, "STRONG"),
    ("dt0s01.", "Dotted", 80, "STRONG"),
    ("ddp_", "Alnum", 36, ""),
    ("ddw_", "Alnum", 36, ""),
    ("discord.com/api/webhooks/", "Path", 60, "KEEP"),
    ("discordapp.com/api/webhooks/", "Path", 60, "KEEP"),
    ("EAACEdEose0cBA", "Alnum", 40, ""),
    ("EAAA", "B64Url", 60, ""),
    ("EAAB", "Alnum", 60, ""),
    ("EAAG", "Alnum", 60, ""),
    ("EAAI", "Alnum", 60, ""),
    ("EZAK", "Alnum", 54, ""),
    ("EZTK", "Alnum", 54, ""),
    ("eyJrIjoi", "B64", 50, "STRONG"),
    ("esecret_", "Alnum", 24, ""),
    ("FLWSECK_TEST-", "HexDash", 32, ""),
    ("FLWSECK-", "HexDash", 32, ""),
    ("FlyV1 ", "B64", 50, ""),
    ("figd_", "B64Url", 40, ""),
    ("fio-u-", "B64Url", 64, ""),
    ("fm1r_", "B64", 50, ""),
    ("fm1a_", "B64", 50, ""),
    ("fm2_", "B64", 50, ""),
    ("fo1_", "B64Url", 40, ""),
    ("fw_", "Alnum", 28, ""),
    ("GOCSPX-", "B64Url", 24, ""),
    ("GR1348941", "B64Url", 24, ""),
    ("ghp_", "Alnum", 36, "CRC"),
    ("gho_", "Alnum", 36, "CRC"),
    ("ghu_", "Alnum", 36, "CRC"),
    ("ghs_", "Alnum", 36, "CRC"),
    ("ghr_", "Alnum", 36, "CRC"),
    ("github_pat_", "AlnumUnderscore", 30, ""),
    ("glpat-", "B64Url", 20, ""),
    ("gldt-", "B64Url", 24, ""),
    ("glrt-", "B64Url", 24, ""),
    ("glrtr-", "B64Url", 24, ""),
    ("glptt-", "Hex", 40, ""),
    ("glsoat-", "B64Url", 24, ""),
    ("glcbt-", "B64Url", 24, ""),
    ("gloas-", "B64Url", 24, ""),
    ("glft-", "B64Url", 24, ""),
    ("glimt-", "B64Url", 29, ""),
    ("glagent-", "B64Url", 50, ""),
    ("glffct-", "B64Url", 24, ""),
    ("glc_", "B64", 32, ""),
    ("glsa_", "AlnumUnderscore", 32, ""),
    ("gsk_", "Alnum", 50, ""),
    ("HRKU-", "B64Url", 30, ""),
    ("hf_", "Alnum", 34, ""),
    ("hvs.", "B64Url", 28, ""),
    ("hvb.", "B64Url", 28, ""),
    ("hooks.slack.com/services/", "Path", 24, "KEEP"),
    ("hooks.slack.com/workflows/", "Path", 24, "KEEP"),
    ("hooks.slack.com/triggers/", "Path", 24, "KEEP"),
    ("hooks.zapier.com/hooks/catch/", "Path", 14, "KEEP"),
    ("ico-", "Alnum", 32, ""),
    ("key-", "Hex", 32, ""),
    ("lin_api_", "Alnum", 32, ""),
    ("lin_oauth_", "Alnum", 32, ""),
    ("live_", "B64Url", 35, ""),
    ("lsv2_pt_", "AlnumUnderscore", 40, ""),
    ("lsv2_sk_", "AlnumUnderscore", 40, ""),
    ("NRAK-", "UpperDigit", 31, ""),
    ("NRJS-", "Hex", 23, ""),
    ("NRII-", "B64Url", 32, ""),
    ("NRAA-", "Alnum", 31, ""),
    ("NF-", "Alnum", 32, ""),
    ("npm_", "Alnum", 36, "CRC"),
    ("nfp_", "Alnum", 36, ""),
    ("oy2", "LowerDigit", 43, ""),
    ("ops_eyJ", "B64", 100, "STRONG"),
    ("outlook.office.com/webhook/", "Path", 40, "KEEP"),
    ("PMAK-", "B64Url", 50, ""),
    ("pypi-", "B64Url", 50, ""),
    ("pscale_tkn_", "B64Url", 32, ""),
    ("pscale_pw_", "B64Url", 32, ""),
    ("pscale_oauth_", "B64Url", 32, ""),
    ("pul-", "Hex", 40, ""),
    ("pplx-", "Alnum", 40, ""),
    ("pnu_", "Alnum", 36, ""),
    ("pcsk_", "AlnumUnderscore", 40, ""),
    ("pat-na1-", "HexDash", 36, ""),
    ("pat-eu1-", "HexDash", 36, ""),
    ("rk_live_", "Alnum", 14, ""),
    ("rk_test_", "Alnum", 14, ""),
    ("rubygems_", "Hex", 48, ""),
    ("rdme_", "Alnum", 64, ""),
    ("r8_", "Alnum", 36, ""),
    ("rnd_", "Alnum", 30, ""),
    ("re_", "B64Url", 30, ""),
    ("SG.", "Dotted", 40, ""),
    ("SK", "Hex", 32, ""),
    ("SSWS ", "B64Url", 40, ""),
    ("sk_live_", "Alnum", 14, ""),
    ("sk_test_", "Alnum", 14, ""),
    ("sk-ant-", "B64Url", 24, ""),
    ("sk-proj-", "B64Url", 24, ""),
    ("sk-svcacct-", "B64Url", 24, ""),
    ("sk-admin-", "B64Url", 24, ""),
    ("sk-or-v1-", "Hex", 40, ""),
    ("sk-", "B64Url", 24, ""),
    ("sk_", "Hex", 40, ""),
    ("sk.eyJ", "Dotted", 60, "STRONG"),
    ("shpat_", "Hex", 32, ""),
    ("shpss_", "Hex", 32, ""),
    ("shpca_", "Hex", 32, ""),
    ("shppa_", "Hex", 32, ""),
    ("sntrys_", "B64", 50, "STRONG"),
    ("sntryu_", "Hex", 64, ""),
    ("sq0atp-", "B64Url", 26, ""),
    ("sq0csp-", "B64Url", 40, ""),
    ("secret_", "Alnum", 40, "WEAK"),
    ("secret-token:", "AlnumUnderscore", 40, ""),
    ("sbp_", "Hex", 40, ""),
    ("sb_secret_", "B64Url", 24, ""),
    ("shippo_live_", "Hex", 40, ""),
    ("shippo_test_", "Hex", 40, ""),
    ("sgp_", "AlnumUnderscore", 40, ""),
    ("sha256~", "B64Url", 43, ""),
    ("sl.", "B64Url", 100, ""),
    ("tskey-", "B64Url", 30, ""),
    ("tfp_", "Dotted", 40, ""),
    ("tk-us-", "B64Url", 48, ""),
    ("test_", "Hex", 35, ""),
    ("v1.0-", "HexDash", 150, ""),
    ("whsec_", "B64", 24, ""),
    ("webhookb2/", "Path", 60, "KEEP"),
    ("xoxb-", "B64Url", 0, "DIGIT1"),
    ("xoxp-", "B64Url", 14, "DIGIT1"),
    ("xoxa-", "B64Url", 14, "DIGIT1"),
    ("xoxr-", "B64Url", 14, "DIGIT1"),
    ("xoxs-", "B64Url", 14, "DIGIT1"),
    ("xoxe-", "B64Url", 14, "DIGIT1"),
    ("xoxo-", "B64Url", 14, "DIGIT1"),
    ("xoxe.xoxp-", "B64Url", 14, "DIGIT1"),
    ("xapp-", "B64Url", 14, "DIGIT1"),
    ("xkeysib-", "HexDash", 60, ""),
    ("xsmtpsib-", "HexDash", 60, ""),
    ("xai-", "Alnum", 60, ""),
    ("ya29.", "B64Url", 24, ""),
    ("y0_", "B64Url", 50, ""),
    ("YC", "B64Url", 38, ""),
];

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &d in data {
        crc ^= u32::from(d);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A body of `n` bytes in `kind`'s alphabet; with `crc`, the last 6 bytes
/// are the base62 CRC32 of the others (GitHub and npm tokens).
fn body(rng: &mut Rng, kind: &str, n: usize, crc: bool) -> String {
    let n = n.max(8);
    let b62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    if crc && n == 36 {
        let payload = rng.string(ALNUM, 30);
        let mut v = crc32(payload.as_bytes());
        let mut sum = [b'0'; 6];
        for k in (0..6).rev() {
            sum[k] = b62[(v % 62) as usize];
            v /= 62;
        }
        return payload + std::str::from_utf8(&sum).unwrap();
    }
    match kind {
        "UpperDigit" => rng.string(UPPER_DIGIT, n),
        "LowerDigit" => rng.string(LOWER_DIGIT, n),
        "Alnum" => rng.string(ALNUM, n),
        "AlnumUnderscore" => {
            let a = rng.string(ALNUM, n / 3);
            let b = rng.string(ALNUM, n - n / 3 - 1);
            a + "_" + &b
        }
        "B64Url" | "Path" => {
            // Keep `-`/`_` away from the ends, as generators do.
            let mut s = rng.string(ALNUM, 2);
            let mid = rng.string(B64URL, n - 4);
            s += &mid;
            {
                let end = rng.string(ALNUM, 2);
                s + &end
            }
        }
        "Hex" => rng.string(HEX, n),
        "HexDash" => {
            let mut s = String::new();
            while s.len() < n {
                if !s.is_empty() {
                    s.push('-');
                }
                let part = rng.string(HEX, 8.min(n - s.len()).max(4));
                s += &part;
            }
            s
        }
        "Dotted" => {
            let a = rng.string(ALNUM, n / 3);
            let b = rng.string(ALNUM, n - n / 3 - 1);
            a + "." + &b
        }
        _ => {
            let mut s = rng.string(ALNUM, 2);
            let mid = rng.string(B64, n - 4);
            s += &mid;
            {
                let end = rng.string(ALNUM, 2);
                s + &end
            }
        }
    }
}

/// Neutral places a token shows up in: nothing but the token's own format
/// says it is a secret.
const TOKEN_CONTEXTS: &[&str] = &[
    "Loaded {} from chrome.storage.local",
    "retrying request with {} (attempt 2)",
    "headers: {{ 'X-Custom': '{}' }}",
    "fetch failed: 401 for credential {}",
    "[worker] using {}",
    "value={}",
    "config.remote = \"{}\"",
    "{}",
];

fn vendor_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    for &(prefix, kind, len, notes) in VENDOR_FORMATS {
        for round in 0..4 {
            let mut n = len;
            if notes.contains("CRC") {
                n = 36;
            }
            let mut b = body(rng, kind, n, notes.contains("CRC"));
            if notes.contains("DIGIT1") {
                b = format!(
                    "{}-{}-{}",
                    rng.string(b"0123456789", 11),
                    rng.string(b"0123456789", 12),
                    rng.string(ALNUM, 24)
                );
            }
            let token = format!("{prefix}{b}");
            let ctx = TOKEN_CONTEXTS[(round * 3 + prefix.len()) % TOKEN_CONTEXTS.len()];
            let input = ctx
                .replacen("{}", &token, 1)
                .replace("{{", "{")
                .replace("}}", "}");
            let secret = if notes.contains("KEEP") { b } else { token };
            out.push(Gen {
                category: "vendor token",
                input,
                secrets: vec![secret],
            });
        }
    }
}

/// Password-like values, as people choose them.
fn password(rng: &mut Rng) -> String {
    let words = [
        "Summer", "Dragon", "Monkey", "Sunshine", "Falcon", "Orchid", "Harbor", "Quartz", "Maple",
        "Tiger",
    ];
    let syms = ["!", "#", "$", "@", "&", "*", "?", "%"];
    match rng.below(4) {
        0 => format!(
            "{}{}{}",
            rng.pick(&words),
            rng.below(9000) + 1000,
            rng.pick(&syms)
        ),
        1 => format!(
            "{}{}{}",
            rng.pick(&words).to_lowercase(),
            rng.pick(&syms),
            rng.below(100)
        ),
        2 => {
            let n = 12 + rng.below(8);
            rng.string(ALNUM, n)
        }
        _ => format!("{}_{}{}", rng.pick(&words), rng.pick(&words), rng.below(99)),
    }
}

/// A generated secret without a vendor prefix.
fn random_token(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => {
            let n = 32 + 8 * rng.below(4);
            rng.string(HEX, n)
        }
        1 => {
            let n = 24 + rng.below(20);
            rng.string(ALNUM, n)
        }
        _ => {
            let mut s = rng.string(ALNUM, 4);
            let mid = rng.string(B64URL, 28);
            s += &mid;
            let end = rng.string(ALNUM, 4);
            s + &end
        }
    }
}

/// Names whose values are secrets whatever they are.
const NAMES: &[&str] = &[
    "password",
    "db_password",
    "DB_PASS",
    "api_key",
    "API_TOKEN",
    "client_secret",
    "secret",
    "auth_token",
    "accessToken",
    "private_key",
    "passwd",
    "pwd",
    "token",
    "SMTP_PASSWORD",
    "refreshToken",
    "x-api-key",
    "MYSQL_ROOT_PASSWORD",
    "redis_pass",
    "admin_pw",
    "sessionToken",
    "AWS_SECRET_ACCESS_KEY",
    "GITHUB_TOKEN",
    "jwt_secret",
    "passphrase",
    "app_secret",
];

/// Names whose values are secrets when they look generated.
const RANDOM_NAMES: &[&str] = &[
    "STRIPE_KEY",
    "encryptionKey",
    "signing_key",
    "AccountKey",
    "SharedAccessKey",
    "masterKey",
    "signature",
    "hmac_key",
    "license_key",
    "aws_access_key",
    "mapsKey",
    "SENDGRID_KEY",
];

/// Assignment syntaxes: `N` is the name, `V` the value.
const SYNTAXES: &[&str] = &[
    "N=V",
    "N = V",
    "N: V",
    "N: \"V\"",
    "N = 'V'",
    "\"N\": \"V\"",
    "{\"user\":\"dana\",\"N\":\"V\"}",
    "'N' => 'V',",
    "N => \"V\"",
    "N := \"V\"",
    "N ::= V",
    "N ?= V",
    "$N .= 'V';",
    "export N=V",
    "export N=\"V\"",
    "set N=V",
    "<N>V</N>",
    "<N>\n    V\n</N>",
    "--N V",
    "--N=V",
    "os.environ[\"N\"] = \"V\"",
    "config.N = \"V\";",
    "N=\"V\" node server.js",
    "[settings] N = V",
    "{\\\"N\\\":\\\"V\\\"}",
    "N: 'V' # rotated monthly",
    "  N: V",
    "N -> \"V\"",
];

fn assignment_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    for (k, syn) in SYNTAXES.iter().enumerate() {
        if syn.contains("->") {
            continue;
        }
        for round in 0..3 {
            let name = NAMES[(k * 3 + round) % NAMES.len()];
            let value = password(rng);
            // Flags and XML tags are lower-case in practice.
            let input = syn.replace('N', name).replace('V', &value);
            out.push(Gen {
                category: "assignment in text",
                input,
                secrets: vec![value],
            });
        }
        let name = RANDOM_NAMES[k % RANDOM_NAMES.len()];
        let value = random_token(rng);
        out.push(Gen {
            category: "generic secret next to a credential word",
            input: syn.replace('N', name).replace('V', &value),
            secrets: vec![value],
        });
    }
}

fn generic_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    let templates = [
        "using token {} for the sync job",
        "API key: {}",
        "api key = {}",
        "secret key: {}",
        "access token = '{}'",
        "Set the session {} in the cookie jar",
        "credentials {} rejected by upstream",
        "apikey {} is over quota",
        "X-Api-Key: {}",
        "x-auth-token: {}",
        "key: {}",
        "webhook secret = {}",
    ];
    for (k, t) in templates.iter().enumerate() {
        for _ in 0..5 {
            let v = random_token(rng);
            let _ = k;
            out.push(Gen {
                category: "generic secret next to a credential word",
                input: t.replace("{}", &v),
                secrets: vec![v],
            });
        }
    }
}

fn authorization_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    let schemes = [
        "Bearer",
        "Basic",
        "Digest",
        "Token",
        "token",
        "ApiKey",
        "SSWS",
        "Negotiate",
        "Splunk",
        "GenieKey",
        "OAuth",
        "Bot",
    ];
    for &scheme in &schemes {
        for form in 0..3 {
            let v = random_token(rng);
            let input = match form {
                0 => format!("Authorization: {scheme} {v}"),
                1 => format!(
                    "curl -H \"Authorization: {scheme} {v}\" https://api.example.com/v2/items"
                ),
                _ => format!("request headers {{ authorization: '{scheme} {v}' }}"),
            };
            out.push(Gen {
                category: "authorization header",
                input,
                secrets: vec![v],
            });
        }
    }
    for _ in 0..6 {
        let v = random_token(rng);
        out.push(Gen {
            category: "authorization header",
            input: format!("Authorization: {v}"),
            secrets: vec![v],
        });
    }
    let ak = rng.string(UPPER_DIGIT, 16);
    let sig = rng.string(HEX, 64);
    out.push(Gen {
        category: "authorization header",
        input: format!("Authorization: AWS4-HMAC-SHA256 Credential=AKIA{ak}/20240521/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature={sig}"),
        secrets: vec![format!("AKIA{ak}"), sig],
    });
    let resp = rng.string(HEX, 32);
    out.push(Gen {
        category: "authorization header",
        input: format!("Authorization: Digest username=\"ops\", realm=\"api\", nonce=\"dcd98b7102dd2f0e\", uri=\"/status\", response=\"{resp}\""),
        secrets: vec![resp],
    });
    for _ in 0..8 {
        let user = rng
            .pick(&["deploy", "admin", "ci-bot", "jenkins", "svc_backup"])
            .to_string();
        let pass = password(rng);
        let form = rng.below(3);
        let input = match form {
            0 => format!("curl -u {user}:{pass} https://registry.example.com/v2/_catalog"),
            1 => format!("curl --user '{user}:{pass}' -X POST https://api.example.com/hooks"),
            _ => {
                format!("wget --user={user} --password={pass} https://files.example.com/backup.tgz")
            }
        };
        out.push(Gen {
            category: "curl credentials",
            input,
            secrets: vec![pass],
        });
    }
}

fn b64url(data: &[u8]) -> String {
    let mut out = String::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for &d in data {
        acc = (acc << 8) | u32::from(d);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(char::from(B64URL[((acc >> bits) & 63) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(B64URL[((acc << (6 - bits)) & 63) as usize]));
    }
    out
}

fn b64std(data: &[u8]) -> String {
    let mut s: String = b64url(data)
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while s.len() % 4 != 0 {
        s.push('=');
    }
    s
}

fn jwt_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    let headers = [
        r#"{"alg":"HS256","typ":"JWT"}"#,
        r#"{"typ":"JWT","alg":"RS256","kid":"2024-05-key-1"}"#,
        r#"{ "alg": "ES256", "typ": "JWT" }"#,
        "{\n  \"alg\": \"HS512\",\n  \"typ\": \"JWT\"\n}",
        r#"{"alg":"none"}"#,
        r#"{"alg":"PS256","jku":"https://auth.example.com/jwks.json","kid":"a1"}"#,
        r#"{"kid":"7f3c","alg":"EdDSA"}"#,
        r#"{"alg":"RSA-OAEP-256","enc":"A256GCM"}"#,
        r#"{"cty":"JWT","alg":"HS384"}"#,
        r#"{"x5t":"dGh1bWJwcmludA","alg":"RS512","typ":"at+jwt"}"#,
    ];
    for (k, h) in headers.iter().enumerate() {
        for form in 0..4 {
            let payload = format!(
                r#"{{"sub":"{}","iat":{},"exp":{},"scope":"read write"}}"#,
                rng.below(1_000_000),
                1_716_300_000 + rng.below(100_000),
                1_716_400_000 + rng.below(100_000)
            );
            let sig: Vec<u8> = (0..32).map(|_| rng.next() as u8).collect();
            let mut token = format!("{}.{}.", b64url(h.as_bytes()), b64url(payload.as_bytes()));
            if !h.contains("none") {
                token += &b64url(&sig);
            }
            if h.contains("enc") {
                let iv: Vec<u8> = (0..12).map(|_| rng.next() as u8).collect();
                token = format!(
                    "{}.{}.{}.{}.{}",
                    b64url(h.as_bytes()),
                    b64url(&sig),
                    b64url(&iv),
                    b64url(payload.as_bytes()),
                    b64url(&sig[..16])
                );
            }
            let input = match form {
                0 => format!("Invalid token {token} (expired)"),
                1 => format!("set-cookie: id_token={token}; Path=/; Secure"),
                2 => {
                    let enc = b64std(token.as_bytes());
                    let input = format!("queue message payload={enc} rejected");
                    out.push(Gen {
                        category: "jwt, base64-encoded",
                        input,
                        secrets: vec![enc],
                    });
                    continue;
                }
                _ => format!("{{\"msg\":\"auth\",\"data\":\"{token}\"}}"),
            };
            let _ = k;
            out.push(Gen {
                category: "jwt",
                input,
                secrets: vec![token],
            });
        }
    }
}

fn phone_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    for k in 0..60 {
        let d = |rng: &mut Rng, n: usize| rng.string(b"0123456789", n);
        let area = format!("{}{}", 2 + rng.below(8), d(rng, 2));
        let exch = format!("{}{}", 2 + rng.below(8), d(rng, 2));
        let line = d(rng, 4);
        let phone = match k % 12 {
            0 => format!("({area}) {exch}-{line}"),
            1 => format!("{area}-{exch}-{line}"),
            2 => format!("{area}.{exch}.{line}"),
            3 => format!("1-{area}-{exch}-{line}"),
            4 => format!("020 {} {}", d(rng, 4), d(rng, 4)),
            5 => format!("07{} {}", d(rng, 3), d(rng, 6)),
            6 => format!("030 {}", d(rng, 7)),
            7 => format!(
                "0{} {} {} {} {}",
                1 + rng.below(9),
                d(rng, 2),
                d(rng, 2),
                d(rng, 2),
                d(rng, 2)
            ),
            8 => format!(
                "0{}.{}.{}.{}.{}",
                6 + rng.below(2),
                d(rng, 2),
                d(rng, 2),
                d(rng, 2),
                d(rng, 2)
            ),
            9 => format!("04{} {} {}", d(rng, 2), d(rng, 3), d(rng, 3)),
            10 => format!("+44 20 {} {}", d(rng, 4), d(rng, 4)),
            _ => format!("+49 {} {}", 30 + rng.below(60), d(rng, 7)),
        };
        let ctx = [
            "Call me at {} tomorrow",
            "phone: {}",
            "Tel. {}",
            "customer {} asked for a callback",
            "{{\"contact\":\"{}\"}}",
            "mobile={}",
        ];
        let input = ctx[k % ctx.len()]
            .replace("{}", &phone)
            .replace("{{", "{")
            .replace("}}", "}");
        out.push(Gen {
            category: "phone",
            input,
            secrets: vec![phone],
        });
    }
}

fn ssn_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    for k in 0..40 {
        let area = loop {
            let a = 1 + rng.below(899);
            if a != 666 {
                break a;
            }
        };
        let group = 1 + rng.below(99);
        let serial = 1 + rng.below(9999);
        let ssn = match k % 4 {
            0 => format!("{area:03}-{group:02}-{serial:04}"),
            1 => format!("{area:03} {group:02} {serial:04}"),
            2 => format!("{area:03}.{group:02}.{serial:04}"),
            _ => format!("{area:03}{group:02}{serial:04}"),
        };
        let input = match k % 4 {
            3 => format!("SSN: {ssn} on file"),
            _ => [
                "applicant ssn {} verified",
                "tax form for {} failed validation",
                "{\"ssn\":\"{}\"}",
                "SSN {}",
            ][k % 4]
                .replace("{}", &ssn),
        };
        out.push(Gen {
            category: "us ssn",
            input,
            secrets: vec![ssn],
        });
    }
}

fn luhn_complete(prefix: &str, len: usize, rng: &mut Rng) -> String {
    let mut s = prefix.to_string();
    while s.len() < len - 1 {
        s.push(char::from(b'0' + rng.below(10) as u8));
    }
    for d in 0..10u8 {
        let cand = format!("{s}{}", char::from(b'0' + d));
        let sum: u32 = cand
            .bytes()
            .rev()
            .enumerate()
            .map(|(k, c)| {
                let mut v = u32::from(c - b'0');
                if k % 2 == 1 {
                    v *= 2;
                    if v > 9 {
                        v -= 9;
                    }
                }
                v
            })
            .sum();
        if sum % 10 == 0 {
            return cand;
        }
    }
    unreachable!()
}

fn iban_complete(cc: &str, bban: &str) -> String {
    let moved = format!("{bban}{cc}00");
    let mut rem = 0u32;
    for c in moved.bytes() {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(c - b'A') + 10) % 97;
        }
    }
    format!("{cc}{:02}{bban}", 98 - rem)
}

fn pii_cases(rng: &mut Rng, out: &mut Vec<Gen>) {
    let firsts = [
        "olivia", "liam", "noah", "emma", "ava", "lucas", "mia", "ethan", "zoe", "omar", "priya",
        "chen",
    ];
    let domains = [
        "example.com",
        "mail.example.org",
        "corp.example.net",
        "example.co.uk",
        "sub.example.io",
    ];
    for k in 0..40 {
        let e = format!(
            "{}.{}{}@{}",
            rng.pick(&firsts),
            rng.pick(&firsts),
            rng.below(100),
            rng.pick(&domains)
        );
        let ctx = [
            "sync failed for {}",
            "{\"email\":\"{}\"}",
            "invite sent to <{}>",
            "user={} logged in",
        ];
        out.push(Gen {
            category: "email",
            input: ctx[k % 4].replace("{}", &e),
            secrets: vec![e],
        });
    }
    let cards = [
        ("4", 16),
        ("51", 16),
        ("55", 16),
        ("2221", 16),
        ("34", 15),
        ("37", 15),
        ("6011", 16),
        ("3528", 16),
        ("36", 14),
        ("62", 16),
    ];
    for k in 0..40 {
        let (p, n) = cards[k % cards.len()];
        let num = luhn_complete(p, n, rng);
        let shown = if k % 3 == 0 && n == 16 {
            format!(
                "{} {} {} {}",
                &num[..4],
                &num[4..8],
                &num[8..12],
                &num[12..]
            )
        } else {
            num
        };
        out.push(Gen {
            category: "card",
            input: format!("charge declined for card {shown} (insufficient funds)"),
            secrets: vec![shown],
        });
    }
    for k in 0..30 {
        let (cc, bban) = match k % 5 {
            0 => ("DE", rng.string(b"0123456789", 18)),
            1 => (
                "GB",
                format!(
                    "{}{}",
                    rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4),
                    rng.string(b"0123456789", 14)
                ),
            ),
            2 => ("FR", rng.string(b"0123456789", 23)),
            3 => (
                "NL",
                format!(
                    "{}{}",
                    rng.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4),
                    rng.string(b"0123456789", 10)
                ),
            ),
            _ => ("ES", rng.string(b"0123456789", 20)),
        };
        let iban = iban_complete(cc, &bban);
        out.push(Gen {
            category: "iban",
            input: format!("payout to {iban} queued"),
            secrets: vec![iban],
        });
    }
    for k in 0..30 {
        let ip = format!(
            "{}.{}.{}.{}",
            11 + rng.below(200),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        );
        let ctx = [
            "connect ECONNREFUSED {}:443",
            "client {} blocked by rule 12",
            "X-Real-IP: {}",
        ];
        out.push(Gen {
            category: "ip",
            input: ctx[k % 3].replace("{}", &ip),
            secrets: vec![ip],
        });
    }
    for _ in 0..20 {
        let user = rng.pick(&["app", "svc", "admin", "reader"]).to_string();
        let pass = password(rng).replace(['@', '#', '?', '%', '/'], "x");
        let scheme = rng
            .pick(&["postgres", "mysql", "mongodb+srv", "redis", "amqps"])
            .to_string();
        out.push(Gen {
            category: "url credentials",
            input: format!(
                "connect failed: {scheme}://{user}:{pass}@db.internal.example.com:5432/main"
            ),
            secrets: vec![pass],
        });
    }
}

/// Innocuous text of the kinds secrets are mistaken for.
fn innocuous(rng: &mut Rng) -> Vec<Keep> {
    let mut out = Vec::new();
    let mut keep = |category: &'static str, input: String| out.push(Keep { category, input });
    let fns = [
        "handleMessage",
        "Object.onMessage",
        "syncQueue",
        "flushBatch",
        "renderPopup",
        "async Promise.all",
        "chrome.runtime.sendMessage",
        "Array.map",
        "JSON.parse",
        "e.value",
    ];
    let files = [
        "background.js",
        "popup.js",
        "content/inject.js",
        "vendor/lib.min.js",
        "pkg/mv3_telemetry.js",
        "options/index.js",
    ];
    for _ in 0..80 {
        let f = rng.pick(&fns);
        let file = rng.pick(&files);
        keep(
            "stack trace",
            format!(
                "    at {f} (chrome-extension://abcdefghijklmnopabcdefghijklmnop/{file}:{}:{})",
                1 + rng.below(3000),
                1 + rng.below(200)
            ),
        );
    }
    for _ in 0..40 {
        keep(
            "git sha",
            format!("built from commit {} on main", rng.string(HEX, 40)),
        );
    }
    for _ in 0..20 {
        keep(
            "git sha",
            format!(
                "HEAD is now at {} Merge pull request #{}",
                rng.string(HEX, 7),
                rng.below(5000)
            ),
        );
    }
    for _ in 0..30 {
        let h: Vec<u8> = (0..48).map(|_| rng.next() as u8).collect();
        keep("sri hash", format!("<script src=\"/app.js\" integrity=\"sha384-{}\" crossorigin=\"anonymous\"></script>", b64std(&h)));
    }
    for _ in 0..30 {
        keep(
            "bundle hash",
            format!(
                "GET /assets/main.{}.js 200 ({} ms)",
                {
                    let n = 8 + 12 * rng.below(2);
                    rng.string(HEX, n)
                },
                rng.below(900)
            ),
        );
    }
    for _ in 0..40 {
        let u = format!(
            "{}-{}-4{}-{}{}-{}",
            rng.string(HEX, 8),
            rng.string(HEX, 4),
            rng.string(HEX, 3),
            rng.pick(&['8', '9', 'a', 'b']),
            rng.string(HEX, 3),
            rng.string(HEX, 12)
        );
        let ctx = [
            "trace_id={} span_id=5f2c",
            "request {} failed with 503",
            "{\"traceId\":\"{}\"}",
            "x-request-id: {}",
        ];
        keep("uuid", ctx[rng.below(4)].replace("{}", &u));
    }
    for _ in 0..30 {
        keep(
            "version",
            format!(
                "Chrome/{}.0.{}.{} extension v{}.{}.{}",
                100 + rng.below(40),
                rng.below(7000),
                rng.below(300),
                rng.below(5),
                rng.below(30),
                rng.below(100)
            ),
        );
    }
    for _ in 0..30 {
        let ms = 1_700_000_000_000u64 + rng.next() % 100_000_000_000;
        keep(
            "timestamp",
            format!(
                "queued at {ms} flushed at {} (2024-05-{:02}T{:02}:{:02}:{:02}.{:03}Z)",
                ms + 1234,
                1 + rng.below(28),
                rng.below(24),
                rng.below(60),
                rng.below(60),
                rng.below(1000)
            ),
        );
    }
    for _ in 0..12 {
        let img: Vec<u8> = (0..90).map(|_| rng.next() as u8).collect();
        keep("base64 image", format!("<img src=\"data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9h{}\">", b64std(&img)));
    }
    for _ in 0..30 {
        let n = rng.below(1000);
        keep("url", format!("https://www.example.com/search?q=privacy+tools&page={}&sort=recent&lang=en-US#results-{n}", 1 + rng.below(20)));
    }
    for _ in 0..20 {
        keep(
            "url",
            format!(
                "GET /api/v2/items/{}?include=owner&fields=id,name 200 {}ms",
                rng.below(100_000),
                rng.below(900)
            ),
        );
    }
    let identifiers = [
        "hf_requiredCharacteristicTypesForSnapshot",
        "const sk_live_mode = isProduction && !isPreview;",
        "ghp_config_path = resolve(home, '.config')",
        "#define AKIA_PREFIX_LEN 4",
        "npm_config_cache=/tmp/.npm npm ci",
        "open assets/cards/xoxo-birthday-card-2024.png",
        "open assets/cards/happy-xoxo-greetingCardTemplate2.png",
        "static const char *AIza_KEY_PREFIX = \"AIza\";",
        "typedef struct SG_ContextOptions SG_ContextOptions;",
        "glpat_prefix_length_is_six",
        "re_compile_pattern_v2_for_user_agents",
        "function secret_sharing_threshold_v3() {}",
        "let tokenizerVocabularySize2 = 50257;",
        "xapp-manifest.json not found",
        "rk_live_banner_visible=false",
        "ya29_scope_list",
        "SK_LOG_LEVEL=debug",
        "EAAB_legacyMigrationFlagEnabled",
        "import { dckr_pat_helpers } from './docker';",
        "SKIP_PREFLIGHT_CHECK=true",
        "ERR_SSL_VERSION_OR_CIPHER_MISMATCH",
        "keyCode: 40, key: 'ArrowDown'",
        "cacheKey: 'profile:1234:v2'",
        "i18nKey: \"settings.privacy.title\"",
        "publicKey: MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9f8Kq2LmZx7Vb3Nc5Rt1Yw",
        "token count: 1234 of 4096",
        "Tokenizer loaded 50257 tokens",
        "password reset email sent",
        "auth flow: redirect to /login",
        "session started at 10:30:12",
        "password: required",
        "token: expected 3 parts, got 2",
        "The secret is that there is no secret.",
        "Authorization: missing",
        "Bearer token required for this endpoint",
        "key=ArrowDown code=40",
        "cache key 9fceb02d0ae598e95dc970b74767f19372d61af8 missed",
        "idempotency_key=7b1f3c2e-9a4d-4c1b-8f2e-3d5a6b7c8d9e",
        "sort key: createdAt desc",
        "primaryKey: 'id'",
        "passport photo uploaded",
        "bypass=1 fail=0 pass=12",
        "The API key field is empty",
        "Enter your password:",
        "--password-store=basic",
        "export PATH=$HOME/.cargo/bin:$PATH",
        "password=${DB_PASSWORD}",
        "api_key: <your key here>",
        "secret: '********'",
        "token=undefined",
    ];
    for id in identifiers {
        keep("identifier", id.to_string());
    }
    let numbers = [
        "ISBN 978-3-16-148410-0",
        "order ORD-2024-000123 shipped",
        "build 20240521.3 passed",
        "port 8080 busy, trying 8081",
        "1,234,567 rows in 3.2 s",
        "(123) items in cart",
        "415 requests in 10 s",
        "date 2024-05-21 time 14:03:11",
        "valid until 12/27",
        "v0.12.3456.789 installed",
        "digits 37040044053201300 of a bank account are not a card",
        "account 37040044053201300 ledger",
        "heap 12345678 bytes used of 4294967296",
        "elapsed 0.125 s (p95 0.480 s)",
        "Windows NT 10.0; Win64; x64",
        "zip 94103-1234",
        "range 100-200-300 ok",
        "page 2 of 10 (items 11-20)",
        "ratio 16:9 at 1920x1080",
        "checksum 3141592653 ok",
    ];
    for n in numbers {
        keep("number", n.to_string());
    }
    let code = [
        "!function(e){var t={};function n(r){if(t[r])return t[r].exports}n.m=e}([]);",
        "const a=e=>e.key===\"Enter\"&&t(e.target.value);",
        "return fetch(u,{method:\"POST\",body:JSON.stringify(b)}).then(r=>r.json())",
        "for(let i=0;i<n.length;i++){s+=n.charCodeAt(i)}",
        "export default{name:\"Popup\",data:()=>({open:!1,key:0})};",
        "if (token == null) throw new Error('no token');",
        "password.length < 8 ? 'weak' : 'ok'",
        "self.session = requests.Session()",
        "fn token(&self) -> Option<&str> { self.token.as_deref() }",
        "const auth = useAuth();",
        "let secret = await getSecret(name);",
        "headers['Authorization'] = `Bearer ${token}`;",
        "if (apiKey) { init(apiKey); }",
        "password_hash = bcrypt.hashpw(pw, salt)",
        "SELECT id, token_type FROM sessions WHERE expires_at < now()",
        "const re = /^sk_(live|test)_[0-9a-z]{24}$/i;",
        "Object.keys(map).forEach(k=>delete map[k]);",
        "e.exports=function(t){return t&&t.__esModule?t:{default:t}}",
        "a.key=b.key||c.key;",
        "var _0x3f2a=['push','length','shift'];",
    ];
    for c in code {
        keep("code", c.to_string());
    }
    out
}

/// Every sensitive case: the hand-written ones and the generated ones.
pub fn sensitive_cases() -> Vec<Gen> {
    let mut out: Vec<Gen> = MUST_CHANGE
        .iter()
        .map(|c| Gen {
            category: c.category,
            input: c.input.to_owned(),
            secrets: c.secrets.iter().map(|s| (*s).to_owned()).collect(),
        })
        .collect();
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    vendor_cases(&mut rng, &mut out);
    assignment_cases(&mut rng, &mut out);
    generic_cases(&mut rng, &mut out);
    authorization_cases(&mut rng, &mut out);
    jwt_cases(&mut rng, &mut out);
    phone_cases(&mut rng, &mut out);
    ssn_cases(&mut rng, &mut out);
    pii_cases(&mut rng, &mut out);
    out
}

/// Every innocuous case: the hand-written ones and the generated ones.
pub fn innocuous_cases() -> Vec<Keep> {
    let mut out: Vec<Keep> = MUST_KEEP
        .iter()
        .map(|s| Keep {
            category: "log line",
            input: (*s).to_owned(),
        })
        .collect();
    out.extend(innocuous(&mut Rng(0x0dd_ba11_5ca1_ab1e)));
    out
}
