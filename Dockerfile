# syntax=docker/dockerfile:1
# The aegir-backend image: the service's jar on a JRE 17, with ansible-core for the Ansible engine
# and the ansible/ folder (roles, callback plugin, ansible.cfg) beside it.
#
#   docker build -t aegir-backend .
#   docker compose --profile app up --build      (with PostgreSQL; see docker-compose.yml)

# --- build: the jar, from the sources, with the project's Maven wrapper ---------------------------
FROM eclipse-temurin:17-jdk AS build
WORKDIR /build
# The wrapper and the pom first, so the dependency download is a layer of its own that source
# changes do not invalidate.
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -ntp -q dependency:go-offline -Dmaven.test.skip=true -Dcodegen.skip=true
COPY src src
COPY db db
# No tests here (they need PostgreSQL and are CI's job), so no test client to generate either
# (codegen.skip); no .git, which the build tolerates (no git section in /actuator/info then).
RUN ./mvnw -B -ntp -q package -Dmaven.test.skip=true -Dcodegen.skip=true \
 && cp target/aegir-backend-*.jar /build/aegir-backend.jar

# --- runtime: JRE 17 + ansible-core, run by tini as PID 1, as a non-root user --------------------
FROM eclipse-temurin:17-jre AS runtime
# tini reaps the processes that ansible-playbook leaves behind and forwards SIGTERM to the JVM;
# openssh-client is how Ansible reaches managed hosts; curl is the health check's client.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ansible-core tini openssh-client curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 aegir \
 && useradd --system --uid 10001 --gid aegir --create-home --home-dir /home/aegir --shell /usr/sbin/nologin aegir
WORKDIR /srv/aegir
# aegir.ansible.directory and .inventory default to ansible/, and aegir.kubernetes.tasks-directory
# to k8s/tasks, relative to this working directory.
COPY --chown=root:root ansible ansible
COPY --chown=root:root k8s/tasks k8s/tasks
COPY --from=build --chown=root:root /build/aegir-backend.jar aegir-backend.jar
USER aegir:aegir
# The service's files are root's and read-only to it; Ansible's own state (~/.ansible) and the
# SSH keys for managed hosts (~/.ssh, mount them) live in the user's home.
ENV HOME=/home/aegir \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
EXPOSE 8080
# Ready means: the database answers and ansible-playbook runs (see /actuator/health/readiness).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/actuator/health/readiness || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "java", "-jar", "/srv/aegir/aegir-backend.jar"]
