#!/bin/bash
# A stand-in for drush (Packagist is not reachable here) that does the real work on the real
# database and files. A site is <root>/sites/<uri>; its database name is in <root>/sites/<uri>/database
# (real drush reads settings.php). MariaDB on 127.0.0.1:3306 as root, for tests only.
set -euo pipefail
# Global options (--config=...) may come before the command, as with real drush.
pre=()
while [ $# -gt 0 ] && [[ $1 == --* ]]; do pre+=("$1"); shift; done
command=${1:-}
shift || true
set -- "${pre[@]}" "$@"
root='' uri='' destination='' config='' args=()
for a in "$@"; do
	case "$a" in
		--root=*) root=${a#--root=} ;;
		--destination-path=*) root=${a#--destination-path=} ;;
		--uri=*) uri=${a#--uri=} ;;
		--destination=*) destination=${a#--destination=} ;;
		--config=*) config=${a#--config=} ;;
		--yes | -y | --overwrite) ;;
		-v | -vv | -vvv | --verbose | --debug) ;;
		--*) ;;
		*) args+=("$a") ;;
	esac
done
site="$root/sites/$uri"
db() { cat "$site/database"; }
# A db-url handed over in a --config file (real drush reads command.<name>.options.db-url from it).
config_db_url() { [ -n "$config" ] && sed -n 's/^ *db-url: *//p' "$config" | tr -d "'\"" || true; }
sql() { mysql -h 127.0.0.1 -P 3306 -u root --batch --skip-column-names "$(db)" "$@"; }
case "$command" in
	archive:dump)
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		mysqldump -h 127.0.0.1 -P 3306 -u root --single-transaction --skip-dump-date "$(db)" > "$tmp/database.sql"
		mkdir -p "$tmp/files"
		cp -a "$site/." "$tmp/files/"
		tar -C "$tmp" -czf "$destination" database.sql files
		echo "archive:dump: $(db) and $site into $destination"
		;;
	archive:restore)
		archive=${args[0]}
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		tar -C "$tmp" -xzf "$archive"
		mkdir -p "$site"
		# The files first, keeping this site's own database name when it is restored elsewhere (clone).
		keep='' keep_user=''
		[ -f "$site/database" ] && keep=$(cat "$site/database")
		[ -f "$site/database_user" ] && keep_user=$(cat "$site/database_user")
		cp -a "$tmp/files/." "$site/"
		rm -f "$site/database_user"
		[ -n "$keep" ] && printf '%s\n' "$keep" > "$site/database"
		[ -n "$keep_user" ] && printf '%s\n' "$keep_user" > "$site/database_user"
		# --db-url (drush archive:restore's option): the site's new database, as settings.php would say.
		url=$(config_db_url)
		if [ -n "$url" ]; then
			rest=${url#*://}
			printf '%s\n' "${rest##*/}" > "$site/database"
			printf '%s\n' "${rest%%:*}" > "$site/database_user"
		fi
		mysql -h 127.0.0.1 -P 3306 -u root -e "CREATE DATABASE IF NOT EXISTS \`$(db)\`"
		sql < "$tmp/database.sql"
		echo "archive:restore: $archive into $site and $(db)"
		;;
	core:status | status)
		# --fields=db-name,db-username --format=json, the only form the roles use.
		user=''
		[ -f "$site/database_user" ] && user=$(cat "$site/database_user")
		printf '{"db-name": "%s", "db-username": "%s"}\n' "$(db)" "$user"
		;;
	sql:query)
		sql -e "${args[0]}"
		;;
	sql:drop)
		mysql -h 127.0.0.1 -P 3306 -u root -e "DROP DATABASE IF EXISTS \`$(db)\`; CREATE DATABASE \`$(db)\`"
		;;
	sql:dump)
		mysqldump -h 127.0.0.1 -P 3306 -u root --skip-dump-date "$(db)"
		;;
	updatedb)
		# Pending updates are SQL files in the site's updates/ directory; a failing one fails updatedb.
		for update in "$site"/updates/*.sql; do
			[ -e "$update" ] || continue
			echo "updatedb: applying $(basename "$update")"
			sql < "$update"
			mv "$update" "$update.done"
		done
		;;
	state:set)
		sql -e "CREATE TABLE IF NOT EXISTS key_value (name varchar(128) PRIMARY KEY, value text);
			REPLACE INTO key_value (name, value) VALUES ('${args[0]//\'/}', '${args[1]//\'/}')"
		;;
	state:get)
		sql -e "SELECT value FROM key_value WHERE name = '${args[0]//\'/}'"
		;;
	user:login)
		hash=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
		echo "http://$uri/user/reset/1/$(date +%s)/$hash/login"
		;;
	cache:rebuild | cr)
		echo "Cache rebuild complete."
		;;
	*)
		echo "drush stand-in: unknown command $command" >&2
		exit 1
		;;
esac
