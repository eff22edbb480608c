#!/bin/bash
# A stand-in for drush 13 (Packagist is not reachable here) that does the real work on the real database
# and files, and takes exactly the options drush 13 documents for the commands the roles call: an option
# drush does not know fails the call, naming it, as drush does. So a role that calls drush wrongly fails
# a test instead of a customer's site.
#
# What stands in for Drupal: a site is <docroot>/sites/<uri>; its settings (what real drush reads from
# settings.php) are the files database, database_user and database_host in that directory; its public
# files are sites/<uri>/files. The project (Composer) root is the docroot's parent when that holds a
# composer.json, else the docroot (drush's DrupalFinder). MariaDB on 127.0.0.1:3306 as root, tests only.
#
# Test hooks: a file sites/<uri>/standin-fail/<command> makes that command fail with the file's text
# (a full disk, a broken update); a script sites/<uri>/standin-after/<command> runs once the command's
# work is done, as whoever runs drush (the site's own PHP, hostile if the tenant is); every call appends "<command> <uid>" to drush-calls.log beside this
# script, the uid read from /proc like ps does.
set -euo pipefail

fail() {
	echo "drush: $*" >&2
	exit 1
}

# Drush 13's global options, then each command's own (drush <command> --help).
global_options=" root r uri l yes y no verbose v vv vvv debug d quiet q version V ansi no-ansi no-interaction
	define D config alias-path include local strict simulate druplicon notify xh-link help h "
sql_options=" database target db-url show-passwords "
table_options=" skip-tables-key structure-tables-key tables-key skip-tables-list structure-tables-list tables-list "
options_of() {
	case "$1" in
		archive:dump | ard) echo " code files db destination overwrite description tags generator generatorversion
			exclude-code-paths extra-dump convert-symlinks $sql_options $table_options " ;;
		archive:restore | arr) echo " destination-path overwrite site-subdir setup-database-connection code
			code-source-path files files-source-path files-destination-relative-path db db-source-path db-driver
			db-port db-host db-name db-user db-password db-prefix $sql_options $table_options " ;;
		site:install | si) echo " db-url db-prefix db-su db-su-pw account-name account-mail site-mail account-pass
			locale site-name site-pass sites-subdir config-dir existing-config " ;;
		core:status | status | st) echo " project format fields field include-field-labels table-style " ;;
		sql:query | sqlq) echo " result-file file file-delete extra db-prefix $sql_options " ;;
		sql:drop) echo " $sql_options " ;;
		sql:dump) echo " result-file create-db data-only ordered-dump gzip extra extra-dump format fields field
			$sql_options $table_options " ;;
		updatedb | updb) echo " cache-clear entity-updates post-updates format fields field " ;;
		state:set | sset) echo " input-format " ;;
		state:get | sget) echo " format fields field " ;;
		user:login | uli) echo " name uid mail browser no-browser redirect-port " ;;
		cache:rebuild | cr | rebuild) echo " " ;;
		core:cron | cron) echo " " ;;
		*) return 1 ;;
	esac
}

# Options may come before and after the command, as with real drush.
command='' args=() names=()
declare -A opt=()
for a in "$@"; do
	if [[ $a == --* || ( $a == -? && $a != - ) ]]; then
		name=${a#-}
		name=${name#-}
		name=${name%%=*}
		if [[ $a == *=* ]]; then opt[$name]=${a#*=}; else opt[$name]=1; fi
		names+=("$name")
	elif [ -z "$command" ]; then
		command=$a
	else
		args+=("$a")
	fi
done
[ -n "$command" ] || fail "no command given"
known=$(options_of "$command") || fail "Command \"$command\" is not defined."
for name in "${names[@]}"; do
	[[ $global_options == *" $name "* || $known == *" $name "* ]] ||
		fail "The \"--$name\" option does not exist (drush $command)."
done
has() { [ -n "${opt[$1]:-}" ]; }
value() { printf '%s' "${opt[$1]:-}"; }

root=$(value root)
[ -n "$root" ] || root=$(value r)
uri=$(value uri)
[ -n "$uri" ] || uri=$(value l)
[ -n "$uri" ] || uri=default
site="$root/sites/$uri"
yes=''
has yes || has y && yes=1

uid=$(awk '/^Uid:/{print $2}' /proc/$$/status)
echo "$command $uid" >> "$(dirname "$0")/drush-calls.log" 2>/dev/null || true
if [ -n "$root" ] && [ -f "$site/standin-fail/$command" ]; then
	fail "$(cat "$site/standin-fail/$command")"
fi
after_hook="$site/standin-after/$command"

# What drush reads from --config: command.<a>.<b>.options.<name> (flat enough for to_nice_yaml's output).
config_option() {
	local file
	file=$(value config)
	[ -n "$file" ] || return 0
	[ -r "$file" ] || fail "config file $file cannot be read (uid $uid)"
	sed -n "s/^ *$1: *//p" "$file" | head -n 1 | sed -e "s/^'\\(.*\\)'\$/\\1/" -e 's/^"\(.*\)"$/\1/'
}
project_root() {
	if [ -f "$(dirname "$1")/composer.json" ]; then dirname "$1"; else printf '%s' "$1"; fi
}
db() {
	[ -f "$site/database" ] || fail "the site $uri at $root has no database settings"
	cat "$site/database"
}
sql() { mysql -h 127.0.0.1 -P 3306 -u root --batch --skip-column-names "$(db)" "$@"; }
# A mysql:// URL (the only driver this stand-in speaks) into the site's settings in sites/<subdir>.
settings_from_url() {
	local url=$1 dir=$2 rest userinfo hostpart
	[[ $url == mysql://*@*/* ]] || fail "unsupported database URL (mysql://user:password@host/name only)"
	rest=${url#mysql://}
	userinfo=${rest%@*}
	hostpart=${rest##*@}
	mkdir -p "$dir"
	printf '%s\n' "${hostpart#*/}" > "$dir/database"
	printf '%s\n' "${userinfo%%:*}" > "$dir/database_user"
	printf '%s\n' "${hostpart%%/*}" > "$dir/database_host"
}

case "$command" in
	archive:dump | ard)
		code='' files='' database=''
		has code && code=1
		has files && files=1
		has db && database=1
		# drush: no component named means all three.
		[ -n "$code$files$database" ] || code=1 files=1 database=1
		[ -d "$root" ] || fail "Path to Drupal docroot is empty."
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		printf 'datestamp: %s\nformatversion: "1.0"\ncomponents:\n  code: %s\n  files: %s\n  database: %s\n' \
			"$(date +%s)" "${code:-false}" "${files:-false}" "${database:-false}" > "$tmp/MANIFEST.yml"
		if [ -n "$code" ]; then
			project=$(project_root "$root")
			rel=${root#"$project"}
			rel=${rel#/}
			mkdir "$tmp/code"
			# drush excludes .git, vendor, sites/*/settings*.php and the Drupal files directories.
			tar -C "$project" --exclude=./.git --exclude=./vendor \
				--exclude="./${rel:+$rel/}sites/*/settings*.php" --exclude="./${rel:+$rel/}sites/*/files" -cf - . |
				tar -C "$tmp/code" -xf -
		fi
		if [ -n "$files" ]; then
			[ -d "$site/files" ] || fail "Path to Drupal files is empty."
			mkdir "$tmp/files"
			tar -C "$site/files" --exclude=./css --exclude=./js --exclude=./styles --exclude=./php -cf - . |
				tar -C "$tmp/files" -xf -
		fi
		if [ -n "$database" ]; then
			mkdir "$tmp/database"
			mysqldump -h 127.0.0.1 -P 3306 -u root --single-transaction --skip-dump-date "$(db)" > "$tmp/database/database.sql"
		fi
		destination=$(value destination)
		[ -n "$destination" ] || destination="$tmp.tar.gz"
		if [ -e "$destination" ] && ! has overwrite; then
			fail 'The destination file already exists. Use "--overwrite" option for overwriting an existing file.'
		fi
		tar -C "$tmp" -czf "$tmp.part" .
		mv -f "$tmp.part" "$destination"
		echo "$destination"
		;;
	archive:restore | arr)
		archive=${args[0]:-}
		code='' files='' database=''
		has code && code=1
		has files && files=1
		has db && database=1
		# drush: no component named means all three, code included (over the destination).
		[ -n "$code$files$database" ] || code=1 files=1 database=1
		[ -f "$archive" ] || fail "File $archive is not found."
		[[ $archive == *.tar.gz || $archive == *.tgz ]] || fail "File $archive is not a *.tar.gz file."
		destination=$(value destination-path)
		if [ -z "$destination" ]; then
			[ -n "$root" ] || fail "no destination: give --destination-path or a site"
			destination=$(project_root "$root")
		fi
		extract=$(mktemp -d)
		trap 'rm -rf "$extract"' EXIT
		tar -C "$extract" --no-same-owner -xzf "$archive"
		if [ -n "$code" ]; then
			[ -d "$extract/code" ] || fail "Directory $extract/code not found."
			if [ -d "$destination" ]; then
				has overwrite || fail "Destination path $destination already exists (use \"--overwrite\" option)."
				[ -n "$yes" ] || fail "Destination path $destination already exists. Delete it? (use --yes)"
				rm -rf "$destination"
			fi
			mkdir -p "$destination"
			cp -a "$extract/code/." "$destination/"
		fi
		mkdir -p "$destination"
		docroot=$root
		[ -n "$docroot" ] || docroot=$destination
		[ -n "$(value destination-path)" ] && [ -z "$root" ] && [ -d "$destination/web" ] && docroot=$destination/web
		if [ -n "$files" ]; then
			[ -d "$extract/files" ] || fail "The source directory $extract/files not found for files."
			relative=$(value files-destination-relative-path)
			if [ -n "$relative" ]; then
				target="$destination/$relative"
			elif [ -n "$root" ] && [ -f "$site/database" ]; then
				target="$site/files"
			else
				fail "Can't detect relative path for Drupal files for destination \"$destination\": missing --files-destination-relative-path option."
			fi
			if [ -d "$target" ] && ! { [ -n "$code" ] && has overwrite; } && [ -z "$yes" ]; then
				fail "Destination Drupal files path $target already exists (use --yes)."
			fi
			mkdir -p "$target"
			cp -a --no-preserve=ownership "$extract/files/." "$target/"
		fi
		if [ -n "$database" ]; then
			[ -f "$extract/database/database.sql" ] || fail "Database dump file not found."
			url=$(value db-url)
			[ -n "$url" ] || url=$(config_option db-url)
			if [ -n "$url" ]; then
				subdir=$(value site-subdir)
				[ -n "$subdir" ] || subdir=default
				# drush writes the connection into sites/<site-subdir>/settings.local.php.
				site="$docroot/sites/$subdir"
				uri=$subdir
				settings_from_url "$url" "$site"
			fi
			mysql -h 127.0.0.1 -P 3306 -u root -e "CREATE DATABASE IF NOT EXISTS \`$(db)\`"
			sql < "$extract/database/database.sql"
		fi
		echo "archive:restore: $archive into $destination"
		;;
	site:install | si)
		url=$(value db-url)
		[ -n "$url" ] || url=$(config_option db-url)
		[ -n "$url" ] || fail "site:install needs a database: --db-url"
		pass=$(value account-pass)
		[ -n "$pass" ] || pass=$(config_option account-pass)
		[ -n "$pass" ] || fail "site:install: no account-pass"
		[ -d "$root" ] || fail "no Drupal root at $root"
		subdir=$(value sites-subdir)
		[ -n "$subdir" ] || subdir=$uri
		site="$root/sites/$subdir"
		settings_from_url "$url" "$site"
		mysql -h 127.0.0.1 -P 3306 -u root -e "CREATE DATABASE IF NOT EXISTS \`$(db)\`"
		sql -e "CREATE TABLE IF NOT EXISTS users (uid int PRIMARY KEY, name varchar(60));
			REPLACE INTO users VALUES (1, '$(value account-name | tr -cd 'A-Za-z0-9_.-')')"
		echo "Installation complete."
		;;
	core:status | status | st)
		# --fields=db-name,db-username --format=json, the only form the roles use.
		user=''
		[ -f "$site/database_user" ] && user=$(cat "$site/database_user")
		printf '{"db-name": "%s", "db-username": "%s"}\n' "$(db)" "$user"
		;;
	sql:query | sqlq)
		sql -e "${args[0]}"
		;;
	sql:drop)
		mysql -h 127.0.0.1 -P 3306 -u root -e "DROP DATABASE IF EXISTS \`$(db)\`; CREATE DATABASE \`$(db)\`"
		;;
	sql:dump)
		mysqldump -h 127.0.0.1 -P 3306 -u root --skip-dump-date "$(db)"
		;;
	updatedb | updb)
		# Pending updates are SQL files in the site's updates/ directory; a failing one fails updatedb.
		for update in "$site"/updates/*.sql; do
			[ -e "$update" ] || continue
			echo "updatedb: applying $(basename "$update")"
			sql < "$update"
			mv "$update" "$update.done"
		done
		;;
	state:set | sset)
		[ ${#args[@]} -eq 2 ] || fail "state:set takes a key and a value"
		sql -e "CREATE TABLE IF NOT EXISTS key_value (name varchar(128) PRIMARY KEY, value text);
			REPLACE INTO key_value (name, value) VALUES ('${args[0]//\'/}', '${args[1]//\'/}')"
		;;
	state:get | sget)
		sql -e "SELECT value FROM key_value WHERE name = '${args[0]//\'/}'"
		;;
	user:login | uli)
		hash=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
		echo "http://$uri/user/reset/1/$(date +%s)/$hash/login"
		;;
	cache:rebuild | cr | rebuild)
		echo "Cache rebuild complete."
		;;
	core:cron | cron)
		echo "Cron run successful."
		;;
esac
if [ -n "$root" ] && [ -f "$after_hook" ]; then
	bash "$after_hook"
fi
