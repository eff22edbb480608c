package hosting.aegir.backend.engine.kubernetes;

import java.nio.charset.StandardCharsets;

/**
 * The database URL a Job hands drush, built by the engine and never taken from a request:
 * a URL chooses the driver ({@code sqlite://} writes a file anywhere) and the server (any
 * host the cluster reaches). The request gives plain names and a password; the server is
 * the environment's own MariaDB Service.
 */
final class DatabaseUrl {

	private static final char[] HEX = "0123456789ABCDEF".toCharArray();

	private DatabaseUrl() {
	}

	/**
	 * {@code mysql://<user>:<password>@<environment>-database/<database>}, the password
	 * percent-encoded. The names are checked again here, as they become part of a URL.
	 */
	static String mysql(String environment, String database, String user, String password) {
		if (!Names.isLabel(environment) || !Names.isDatabaseName(database) || !Names.isDatabaseUser(user)
				|| !Names.isDatabasePassword(password)) {
			throw new IllegalStateException(
					"a database URL needs a valid environment_name, db_name, db_user and db_password");
		}
		return "mysql://" + user + ":" + encode(password) + "@" + EnvironmentFactory.databaseHost(environment) + "/"
				+ database;
	}

	/**
	 * RFC 3986 percent-encoding of everything but the unreserved characters, UTF-8: no
	 * character of the value can end the user information ({@code @ : /}), start a query
	 * or fragment, or be read by PHP's {@code urldecode} as anything but itself
	 * ({@code +} is encoded too).
	 */
	static String encode(String value) {
		StringBuilder encoded = new StringBuilder();
		for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
			char c = (char) (b & 0xff);
			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
					|| c == '_' || c == '~') {
				encoded.append(c);
			}
			else {
				encoded.append('%').append(HEX[c >> 4]).append(HEX[c & 0xf]);
			}
		}
		return encoded.toString();
	}

}
